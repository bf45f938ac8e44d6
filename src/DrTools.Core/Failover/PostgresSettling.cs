using DrTools.Core.Postgres;
using DrTools.Core.Probes;

namespace DrTools.Core.Failover;

/// <summary>
/// PostgreSQL's side of "observe until the topology settles": every member's own role (pg_is_in_recovery) and a probe
/// write read back from the sole primary, for the drills DrTools and Patroni recover.
/// </summary>
internal static class PostgresSettling
{
    /// <summary>The plan's step.</summary>
    public const string Step = "observe until the topology settles: exactly one reachable member says it is the primary "
        + "(pg_is_in_recovery), every other reachable one that it is not, and a probe write it acknowledged is read back from it; "
        + "writes another member acknowledges once it is primary are split-brain writes";

    /// <summary>A member that takes longer than this to say its role counts as unreachable in that round (a frozen one).</summary>
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Polls every member's role until exactly one reachable member says it is the primary, every other reachable one says
    /// it is not, and a probe write that member acknowledged since <paramref name="since"/> was read back from it.
    /// Returns that member and the server as it names itself (what the probes record: behind a proxy, not the port
    /// connected to); FAILs after <paramref name="timeout"/> naming what never settled.
    /// </summary>
    public static async Task<(DbMember Member, string Server)> WaitAsync(DbTarget target, Probe writes, TimeSpan since,
        MonotonicClock clock, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var servers = new System.Collections.Concurrent.ConcurrentDictionary<string, DbMember>();
        await using var roles = RoleWatch.Start(token => ReadRolesAsync(target, servers, token), clock);
        var server = await roles.WaitSettledAsync(
            (member, token) => Settling.ReadBackAsync(writes, since, member,
                (at, sequence, t) => HoldsAsync(servers[at], writes.RunId, sequence, t), token),
            timeout, cancellationToken);
        return (servers[server], server);
    }

    /// <summary>Each member's role, named by the server's own address and port (the member's endpoint when it did not answer).</summary>
    private static async Task<IReadOnlyList<RoleReading>> ReadRolesAsync(DbTarget target,
        System.Collections.Concurrent.ConcurrentDictionary<string, DbMember> servers, CancellationToken cancellationToken) =>
        await Task.WhenAll(target.Members.Select(async member =>
        {
            using var ask = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            ask.CancelAfter(AskTimeout);
            try
            {
                var (standby, server) = await member.QueryAsync(
                    "select pg_is_in_recovery(), host(inet_server_addr()) || ':' || inet_server_port()",
                    r => (r.GetBoolean(0), r.IsDBNull(1) ? member.Endpoint : r.GetString(1)), ask.Token);
                servers[server] = member;
                return new RoleReading(server, !standby, null);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                var why = e is OperationCanceledException ? $"no answer within {DurationText.Format(AskTimeout)}" : e.Message;
                return new RoleReading(member.Endpoint, null, why);
            }
        }));

    private static Task<bool> HoldsAsync(DbMember member, Guid runId, long sequence, CancellationToken cancellationToken) =>
        member.QueryAsync($"select exists (select 1 from {Probe.Table} where run_id = '{runId}' and seq = {sequence})",
            r => r.GetBoolean(0), cancellationToken);
}
