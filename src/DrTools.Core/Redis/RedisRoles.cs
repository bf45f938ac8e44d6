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

    private readonly RedisConnection?[] _connections = new RedisConnection?[members.Count];

    /// <summary>Every member's role now, each reading named by the member's endpoint (as the probes name the server).</summary>
    public async Task<IReadOnlyList<RoleReading>> ReadAsync(CancellationToken cancellationToken) =>
        await Task.WhenAll(members.Select((member, i) => ReadAsync(i, member, cancellationToken)));

    private async Task<RoleReading> ReadAsync(int index, RedisMember member, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(AnswerTimeout);
        try
        {
            _connections[index] ??= await RedisConnection.OpenAsync(member.Host, member.Port, member.Password, deadline.Token);
            var role = (await _connections[index]!.CommandAsync(deadline.Token, "ROLE") as object?[])?[0] as string;
            return new RoleReading(member.Endpoint, role == "master", null);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            await DropAsync(index);
            var why = e is OperationCanceledException
                ? $"no answer within {DurationText.Format(AnswerTimeout)}"
                : member.Describe(e).Message;
            return new RoleReading(member.Endpoint, null, why);
        }
    }

    private async Task DropAsync(int index)
    {
        if (_connections[index] is { } connection) await connection.DisposeAsync();
        _connections[index] = null;
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = 0; i < _connections.Length; i++) await DropAsync(i);
    }
}
