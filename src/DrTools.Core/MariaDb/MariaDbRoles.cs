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

    private readonly MySqlConnection?[] _connections = new MySqlConnection?[members.Count];

    public async Task<IReadOnlyList<RoleReading>> ReadAsync(CancellationToken cancellationToken) =>
        await Task.WhenAll(members.Select((member, i) => ReadAsync(i, member, cancellationToken)));

    private async Task<RoleReading> ReadAsync(int index, MariaDbMember member, CancellationToken cancellationToken)
    {
        // Taken out while in use: a question cut off at its deadline never shares its connection with the next one.
        var connection = _connections[index];
        _connections[index] = null;
        try
        {
            var (open, primary) = await Bounded.WithinAsync(AskAsync(member, connection, cancellationToken), AnswerTimeout,
                cancellationToken, async late =>
                {
                    if (late.IsCompletedSuccessfully) await late.Result.Connection.DisposeAsync();
                });
            _connections[index] = open;
            return new RoleReading(member.Endpoint, primary, null);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            var why = e is OperationCanceledException ? $"no answer within {DurationText.Format(AnswerTimeout)}" : e.Message;
            return new RoleReading(member.Endpoint, null, why);
        }
    }

    private static async Task<(MySqlConnection Connection, bool Primary)> AskAsync(MariaDbMember member, MySqlConnection? connection,
        CancellationToken cancellationToken)
    {
        connection ??= await member.OpenAsync(cancellationToken);
        try
        {
            var readOnly = (await member.RowsAsync(connection, "select @@read_only as read_only", cancellationToken))[0]["read_only"];
            var replicates = (await member.RowsAsync(connection, "show slave status", cancellationToken)).Count > 0;
            return (connection, !replicates && Convert.ToString(readOnly, CultureInfo.InvariantCulture) is not ("1" or "True"));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = 0; i < _connections.Length; i++)
        {
            if (_connections[i] is { } connection) await connection.DisposeAsync();
            _connections[i] = null;
        }
    }
}
