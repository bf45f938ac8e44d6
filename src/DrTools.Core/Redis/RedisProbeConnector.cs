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

    private TimeSpan PerMember => TimeSpan.FromMilliseconds(Math.Max(200, attemptTimeout.TotalMilliseconds / members.Count));

    public async Task<IProbeSession> OpenAsync(CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        foreach (var member in members)
        {
            using var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            connect.CancelAfter(PerMember);
            RedisConnection? connection = null;
            try
            {
                connection = await RedisConnection.OpenAsync(member.Host, member.Port, member.Password, connect.Token);
                if (kind == ProbeKind.Write && (await connection.CommandAsync(connect.Token, "ROLE") as object?[])?[0] as string != "master")
                {
                    errors.Add($"{member.Endpoint} is a replica");
                    await connection.DisposeAsync();
                    continue;
                }
                return new Session(member, connection);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                if (connection is not null) await connection.DisposeAsync();
                errors.Add(e is OperationCanceledException ? $"{member.Endpoint}: no answer within {DurationText.Format(PerMember)}" : member.Describe(e).Message);
            }
        }
        throw new DrToolsException($"no member {(kind == ProbeKind.Write ? "is a master" : "answers")}: {string.Join("; ", errors)}", DrErrorKind.ConnectionFailed);
    }

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
