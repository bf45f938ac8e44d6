using System.Globalization;
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
    public string Path =>
        $"DrTools' RESP client to {string.Join(",", members.Select(m => m.Endpoint))}, the first member whose ROLE is "
        + $"{(kind == ProbeKind.Write ? "master" : "any")}, a new connection after each failed attempt (connect timeout "
        + $"{DurationText.Format(PerMember)} per member)";
    public string? ClientSettingsNote => null;
    public string WriteStatement => "HSET of the sequence into drtools:probe:<run>";
    public string ReadStatement => $"HKEYS of the run's hash, its newest {Probe.ReadNewest} sequences kept";
    public string ProbeData => "the hash drtools:probe:<run>";

    /// <summary>A replica's READONLY error: the write was refused, it did not take effect.</summary>
    public bool Refused(Exception error) =>
        error is RedisErrorException { Message: var message } && message.StartsWith("READONLY", StringComparison.Ordinal);

    private TimeSpan PerMember => MemberWalk.PerMember(attemptTimeout, members.Count);

    public Task<IProbeSession> OpenAsync(CancellationToken cancellationToken) => MemberWalk.FirstAsync(members, PerMember,
        kind == ProbeKind.Write ? "is a master" : "answers",
        async (member, token) =>
        {
            var connection = await RedisConnection.OpenAsync(member.Host, member.Port, member.Password, token);
            try
            {
                if (kind == ProbeKind.Read || (await connection.CommandAsync(token,
                    "ROLE") as object?[])?[0] as string == "master") return (new Session(member, connection), null);
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

        public async Task<ProbeAnswer> AttemptAsync(ProbeKind kind, Guid runId, long sequence, CancellationToken cancellationToken)
        {
            if (kind == ProbeKind.Write)
            {
                var field = sequence.ToString(CultureInfo.InvariantCulture);
                await connection.CommandAsync(cancellationToken, "HSET", RedisCluster.ProbeKey(runId), field, "1");
                return new ProbeAnswer(member.Endpoint);
            }
            // A hash has no order: all its fields are read (a drill's few thousand), the newest kept as the other engines'
            // reads return them.
            var fields = await connection.CommandAsync(cancellationToken, "HKEYS", RedisCluster.ProbeKey(runId)) as object?[] ?? [];
            var observed = fields.Select(f => long.Parse((string)f!, CultureInfo.InvariantCulture)).OrderDescending().Take(Probe.ReadNewest)
                .ToList();
            return new ProbeAnswer(member.Endpoint, observed);
        }

        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }
}
