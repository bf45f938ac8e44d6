using DrTools.Core.Probes;

namespace DrTools.Core.Redis;

/// <summary>
/// The path of a Redis application that knows every member and writes to the primary (as a Sentinel-aware client
/// does, asking the servers themselves): each new connection asks the members' ROLE in order and keeps the first
/// master (for reads, the first that answers). A write is HSET of the sequence into the run's hash, acknowledged by
/// the primary alone (no WAIT), as applications write.
/// </summary>
internal sealed class RedisProbeConnector(IReadOnlyList<RedisMember> members, ProbeKind kind, TimeSpan attemptTimeout) : IProbeConnector
{
    public string Path => $"DrTools' RESP client to {string.Join(",", members.Select(m => m.Endpoint))}, the first member whose ROLE is {(kind == ProbeKind.Write ? "master" : "any")}, a new connection after each failed attempt (connect timeout {DurationText.Format(PerMember)} per member)";
    public string? ClientSettingsNote => null;
    public string WriteStatement => "HSET of the sequence into drtools:probe:<run>";
    public string ReadStatement => "GET of one key";
    public string ProbeData => "the hash drtools:probe:<run>";

    private TimeSpan PerMember => MemberWalk.PerMember(attemptTimeout, members.Count);

    public Task<IProbeSession> OpenAsync(CancellationToken cancellationToken) => MemberWalk.FirstAsync(members, PerMember, kind == ProbeKind.Write ? "is a master" : "answers",
        async (member, token) =>
        {
            var connection = await RedisConnection.OpenAsync(member.Host, member.Port, member.Password, token);
            try
            {
                if (kind == ProbeKind.Read || (await connection.CommandAsync(token, "ROLE") as object?[])?[0] as string == "master") return (new Session(member, connection), null);
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
            await connection.DisposeAsync();
            return (null, "is a replica");
        },
        (member, e) => member.Describe(e).Message, cancellationToken);

    private sealed class Session(RedisMember member, RedisConnection connection) : IProbeSession
    {
        public string? Host => member.Endpoint;

        public async Task<string> AttemptAsync(ProbeKind kind, Guid runId, long sequence, CancellationToken cancellationToken)
        {
            if (kind == ProbeKind.Write) await connection.CommandAsync(cancellationToken, "HSET", RedisCluster.ProbeKey(runId), sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), "1");
            else await connection.CommandAsync(cancellationToken, "GET", RedisCluster.KeyPrefix + "heartbeat");
            return member.Endpoint;
        }

        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }
}
