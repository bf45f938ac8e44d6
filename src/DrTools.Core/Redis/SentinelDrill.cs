using DrTools.Core.Cluster;
using DrTools.Core.Failover;
using DrTools.Core.Probes;

namespace DrTools.Core.Redis;

/// <summary>
/// A drill Redis Sentinel recovers: DrTools kills or freezes the primary's redis-server (or asks the Sentinels for a
/// switchover with SENTINEL FAILOVER) and observes, as it does Patroni: the probes measure the outage and the lost
/// writes; the Sentinels' own view gives the time until they named a new primary.
/// </summary>
public sealed partial class SentinelDrill(RedisCluster cluster, IRedisProcesses processes) : IRecovery
{
    public RecoveredBy RecoveredBy => RecoveredBy.Sentinel;

    public async Task<FailoverPlan> PlanAsync(FailoverOptions options, CancellationToken cancellationToken)
    {
        Engines.DrillTargets.DemandDrillAllowed(cluster, options.Mode.ToString().ToLowerInvariant());
        if (cluster.Sentinels.Count == 0) throw new DrToolsException($"recovered by Sentinel: {cluster.Name} has no Sentinels "
            + $"(New-DrSandbox -Engine Redis -Sentinels).", DrErrorKind.InvalidArgument);
        if (options.Candidate is not null) throw new DrToolsException("recovered by Sentinel: the Sentinels choose the replica to promote; "
            + "a candidate is for drills DrTools recovers.", DrErrorKind.InvalidArgument);
        var status = await cluster.GetStatusAsync(cancellationToken);
        var primary = status.Primary
            ?? throw new DrToolsException($"{options.Mode} of {cluster.Name} refused: it needs exactly one primary: {status.Verdict}",
            DrErrorKind.InvalidOperation);
        var announced = await SentinelPrimaryAsync(cancellationToken);
        if (!ClusterInspector.SameEndpoint(announced, primary.Endpoint))
        {
            throw DrToolsException.Refused($"{options.Mode} of {cluster.Name} refused: the Sentinels name {announced} the primary, "
                + $"the servers {primary.Display}");
        }
        var action = options.Mode == FailoverMode.Switchover
            ? $"ask the Sentinels for a switchover (SENTINEL FAILOVER {RedisEngine.SentinelMaster})"
            : $"inject the fault: {Fault(options, primary.Display)}";
        var steps = new List<string>
        {
            $"start a write probe ({options.WriteProbe.Rate}/s HSET of a sequence) and a read probe through the application's connection "
                + $"path",
            action,
            "wait until the Sentinels name a new primary and a probe write is acknowledged by it",
            options.Rejoin || options.Mode == FailoverMode.Switchover ? $"bring {primary.Display} back as a replica of the new primary"
                : $"leave {primary.Display} down (no rejoin requested)",
            "measure write unavailability, read reconnection and lost acknowledged writes from the probes; read the topology",
        };
        // The Sentinels choose whom to promote: DrTools can only say which replica would spread writes the primary never had.
        steps.InsertRange(2, status.Standbys.Where(s => s.Divergence is not null)
            .Select(s => $"beware: {s.Display} is {s.Divergence}; the Sentinels may promote it, and the integrity will fail"));
        // The reference is the primary's data before the drill: the Sentinels may promote a replica holding writes of its own,
        // and the replicas then copy it, so comparing them with it alone would find them identical.
        if (options.CheckIntegrity) steps.Insert(0, "checksum the data in scope on the primary");
        return new FailoverPlan(cluster, options.Mode, primary.Name, null, steps,
            status) { Recovery = $"{options.Mode} by the Sentinels of {cluster.Name}: {action}" };
    }

    private static string Fault(FailoverOptions options, string primary) => options.Fault == NodeFault.FreezeNode
        ? $"SIGSTOP of redis-server of {primary} for {DurationText.Format(FreezeFor(options))}, then SIGCONT"
        : $"SIGKILL of redis-server of {primary}";

    private static TimeSpan FreezeFor(FailoverOptions options) => options.FaultDuration ?? TimeSpan.FromSeconds(5);

    /// <summary>The primary the first Sentinel that answers names.</summary>
    private async Task<string> SentinelPrimaryAsync(CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        foreach (var sentinel in cluster.Sentinels)
        {
            try
            {
                var address = (object?[])(await sentinel.CommandAsync(cancellationToken, "SENTINEL", "GET-MASTER-ADDR-BY-NAME",
                    RedisEngine.SentinelMaster))!;
                return $"{address[0]}:{address[1]}";
            }
            catch (DrToolsException e)
            {
                errors.Add(e.Message);
            }
        }
        throw new DrToolsException($"no Sentinel of {cluster.Name} answered: {string.Join("; ", errors)}", DrErrorKind.ConnectionFailed);
    }

    public async Task<FailoverResult> RunAsync(FailoverPlan plan, FailoverOptions options, CancellationToken cancellationToken)
    {
        await using var run = new FailoverRun(options);
        var before = options.CheckIntegrity ? await cluster.ChecksumAsync(plan.Primary, options.IntegrityTables, cancellationToken) : null;
        run.StartProbes(kind => Probe.Start(kind, run.RunId, cluster.ProbeConnector(kind, options.Probe(kind)), options.Probe(kind),
            run.Clock));
        await using var roleSource = new RedisRoles(cluster.Members);
        await using var roles = RoleWatch.Start(roleSource.ReadAsync, run.Clock);
        var phases = new Phases(this, cluster, processes, plan, options, run, roles);
        try
        {
            await run.BaselineAsync(null, cancellationToken);
            await phases.ActAsync(cancellationToken);
            await phases.WaitForNamedPrimaryAsync(cancellationToken);
            await phases.ThawOrRejoinAsync(cancellationToken);
            await phases.SettleAsync(cancellationToken);
        }
        catch (Exception e)
        {
            throw await run.FailedAsync(await phases.ThawAfterAsync(e));
        }
        return await run.MeasureAsync(() => phases.ResultAsync(before, cancellationToken),
            "measuring what the probes saw and the lost writes");
    }

    private sealed class Readback(RedisCluster cluster, RedisMember newPrimary, FinalPrimary final, string? leftDown,
        FailoverOptions options, ClusterStatus planned, Integrity.DbChecksum? before)
        : IDrillReadback
    {
        public FinalPrimary FinalPrimary => final;

        public string FinalNode => final.Server;

        public async Task<IReadOnlyCollection<long>> FinalReadAsync(Guid runId, CancellationToken cancellationToken) =>
            [.. await cluster.ProbeSequencesAsync(newPrimary.Name, runId, cancellationToken)];

        public async Task<Integrity.ChecksumComparison?> IntegrityAsync(CancellationToken cancellationToken) => before is null
            ? null
            : Integrity.DbChecksums.Compare(before, await cluster.ChecksumAsync(newPrimary.Name, options.IntegrityTables,
                cancellationToken));

        public string Followed => newPrimary.Name;

        public string? LeftDown => leftDown;

        public Task<ClusterStatus> TopologyAsync(CancellationToken cancellationToken) => cluster.GetStatusAsync(cancellationToken);

        /// <summary>Then each replica against the final primary.</summary>
        public Task<Integrity.ChecksumComparison?> WithReplicasAsync(Integrity.ChecksumComparison? integrity, ClusterStatus topology,
            CancellationToken cancellationToken) => options.CheckIntegrity
            ? cluster.CompareReplicasAsync(newPrimary.Name, topology, planned, integrity, options.IntegrityTables,
                options.PhaseTimeout, cancellationToken)
            : Task.FromResult(integrity);
    }
}
