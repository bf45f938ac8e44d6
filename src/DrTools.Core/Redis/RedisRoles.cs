using DrTools.Core.Engines;
using DrTools.Core.Probes;

namespace DrTools.Core.Redis;

/// <summary>
/// Each member's own ROLE, on one connection per member kept open between polls (opened again after a failure): what
/// the servers themselves say, not what the Sentinels believe. A member that does not answer within
/// <see cref="AnswerTimeout"/> is read as unreachable.
/// </summary>
internal sealed class RedisRoles(IReadOnlyList<RedisMember> members) : IRoleSource
{
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromMilliseconds(250);
    /// <summary>How long an ask cut off at <see cref="AnswerTimeout"/> may go on in the background before it is ended.</summary>
    private static readonly TimeSpan LateLimit = TimeSpan.FromSeconds(30);

    private readonly KeptRoleConnections<RedisConnection> _connections = new(members.Count, AnswerTimeout);

    /// <summary>Every member's role now, each reading named by the member's endpoint (as the probes name the server).</summary>
    public async Task<IReadOnlyList<RoleReading>> ReadAsync(CancellationToken cancellationToken) =>
        await Task.WhenAll(members.Select((member, i) => _connections.ReadAsync(i, member.Endpoint, open => AskAsync(member, open),
            e => member.Describe(e).Message, cancellationToken)));

    private static async Task<(RedisConnection Connection, RoleReading Reading)> AskAsync(RedisMember member, RedisConnection? open)
    {
        using var late = new CancellationTokenSource(LateLimit);
        var connection = open ?? await RedisConnection.OpenAsync(member.Host, member.Port, member.Password, late.Token);
        try
        {
            var role = (await connection.CommandAsync(late.Token, "ROLE") as object?[])?[0] as string;
            return (connection, new RoleReading(member.Endpoint, role == "master", null));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _connections.DisposeAsync();
}
