using System.Globalization;
using DrTools.Core.Engines;
using DrTools.Core.Probes;
using MySqlConnector;

namespace DrTools.Core.MariaDb;

/// <summary>
/// Each member's own role as the cluster status decides it (a primary is writable and replicates from nobody), on one
/// connection per member kept open between polls and opened again after a failure. A member that does not answer within
/// <see cref="AnswerTimeout"/> is read as unreachable; its connection is closed once the late answer ends.
/// </summary>
internal sealed class MariaDbRoles(IReadOnlyList<MariaDbMember> members) : IRoleSource
{
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(1);

    private readonly KeptRoleConnections<MySqlConnection> _connections = new(members.Count, AnswerTimeout);

    public async Task<IReadOnlyList<RoleReading>> ReadAsync(CancellationToken cancellationToken) =>
        await Task.WhenAll(members.Select((member, i) =>
            _connections.ReadAsync(i, member.Endpoint, open => AskAsync(member, open), e => e.Message, cancellationToken)));

    /// <summary>Unbounded here (the reader's deadline ends the wait); MySqlConnector's command timeout ends a late one.</summary>
    private static async Task<(MySqlConnection Connection, RoleReading Reading)> AskAsync(MariaDbMember member, MySqlConnection? open)
    {
        var connection = open ?? await member.OpenAsync(CancellationToken.None);
        try
        {
            var readOnly = (await member.RowsAsync(connection, "select @@read_only as read_only", CancellationToken.None))[0]["read_only"];
            var replicates = (await member.RowsAsync(connection, "show slave status", CancellationToken.None)).Count > 0;
            var primary = !replicates && Convert.ToString(readOnly, CultureInfo.InvariantCulture) is not ("1" or "True");
            return (connection, new RoleReading(member.Endpoint, primary, null));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _connections.DisposeAsync();
}
