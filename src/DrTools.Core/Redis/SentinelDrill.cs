using DrTools.Core.Cluster;
using DrTools.Core.Failover;
using DrTools.Core.Processes;
using DrTools.Core.Probes;

namespace DrTools.Core.Redis;

/// <summary>
/// A drill Redis Sentinel recovers: DrTools kills or freezes the primary's redis-server (or asks the Sentinels for a
/// switchover with SENTINEL FAILOVER) and observes, as it does Patroni: the probes measure the outage and the lost
/// writes; the Sentinels' own view gives the time until they named a new primary.
/// </summary>
public sealed class SentinelDrill(RedisCluster cluster, IRedisProcesses processes) : IRecovery
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
        var clock = new MonotonicClock();
        var timeline = new Timeline(clock);
        var runId = Guid.NewGuid();
        var primary = cluster.Member(plan.Primary);
        var before = options.CheckIntegrity ? await cluster.ChecksumAsync(primary.Name, options.IntegrityTables, cancellationToken) : null;
        await using var writes = Probe.Start(ProbeKind.Write, runId, cluster.ProbeConnector(ProbeKind.Write, options.WriteProbe),
            options.WriteProbe, clock);
        await using var reads = Probe.Start(ProbeKind.Read, runId, cluster.ProbeConnector(ProbeKind.Read, options.ReadProbe),
            options.ReadProbe, clock);
        timeline.Mark("probes started", writes.Path);
        await using var roleSource = new RedisRoles(cluster.Members);
        await using var roles = RoleWatch.Start(roleSource.ReadAsync, clock);
        int? frozen = null;
        // What the measurement needs from the drill, which records what its probes saw when it ends with an error instead.
        TimeSpan fault, namedAt, since;
        RedisMember newPrimary;
        string named;
        SplitBrainWindow? split;
        Measurement? neverSettled;
        try
        {
            if (await writes.WaitForSuccessAsync(TimeSpan.Zero, options.PhaseTimeout, cancellationToken) is null)
            {
                throw new DrToolsException($"the write probe never succeeded ({writes.Samples.LastOrDefault()?.Error}); nothing was "
                    + $"changed.", DrErrorKind.InvalidOperation);
            }
            await writes.WaitForBaselineAsync(options.BaselineWrites, options.PhaseTimeout, cancellationToken);
            options.Progress.Enter("the fault", 25);
            var toFreeze = options.Mode == FailoverMode.Failover && options.Fault == NodeFault.FreezeNode
                ? processes.Pid(primary.Name)
                    ?? throw new DrToolsException($"redis-server of {primary.Display} is not running.", DrErrorKind.InvalidOperation)
                : (int?)null;
            fault = clock.Elapsed;
            if (options.Mode == FailoverMode.Switchover)
            {
                timeline.Mark("switchover requested", $"SENTINEL FAILOVER {RedisEngine.SentinelMaster} on {cluster.Sentinels[0].Display}",
                    fault);
                await cluster.Sentinels[0].CommandAsync(cancellationToken, "SENTINEL", "FAILOVER", RedisEngine.SentinelMaster);
                timeline.Mark("the Sentinel accepted the switchover");
            }
            else
            {
                timeline.Mark(Timeline.FaultIssued, Fault(options, primary.Display), fault);
                if (toFreeze is { } stopped)
                {
                    ProcessTable.Signal(stopped, ProcessTable.SigStop);
                    frozen = stopped;
                    timeline.Mark(Timeline.FaultCompleted, $"SIGSTOP of redis-server (PID {stopped}) of {primary.Display}");
                }
                else timeline.Mark(Timeline.FaultCompleted, await processes.KillAsync(primary.Name, cancellationToken));
            }

            options.Progress.Enter("waiting for the Sentinels' new primary", 40);
            var announced = "";
            await Polling.RequireAsync(async () => !ClusterInspector.SameEndpoint(announced = await SentinelPrimaryAsync(cancellationToken),
                primary.Endpoint), options.PhaseTimeout, TimeSpan.FromMilliseconds(10),
                () => $"the Sentinels still named {announced} the primary after {DurationText.Format(options.PhaseTimeout)}.",
                cancellationToken);
            namedAt = clock.Elapsed;
            newPrimary = cluster.Members.First(m => ClusterInspector.SameEndpoint(m.Endpoint, announced));
            timeline.Mark("Sentinels named a new primary", newPrimary.Display, namedAt);
            var first = await writes.WaitForSuccessAsync(namedAt, options.PhaseTimeout, cancellationToken);
            if (first is null) timeline.Mark("no write acknowledged by the new primary",
                $"within {DurationText.Format(options.PhaseTimeout)}");

            if (frozen is { } pid)
            {
                var thawAt = fault + FreezeFor(options);
                if (thawAt > clock.Elapsed) await Task.Delay(thawAt - clock.Elapsed, cancellationToken);
                ProcessTable.Signal(pid, ProcessTable.SigCont);
                frozen = null;
                timeline.Mark("node thawed", $"SIGCONT of redis-server (PID {pid}); the Sentinels make it a replica");
            }
            else if (options.Mode == FailoverMode.Failover && options.Rejoin)
            {
                await processes.StartAsReplicaAsync(primary.Name, newPrimary, cancellationToken);
                timeline.Mark("old primary restarted as a replica", primary.Display);
            }
            await Task.Delay(options.Settle, cancellationToken);

            // The Sentinels' answer is their belief: the probes run on until the servers themselves agree on one primary
            // that takes writes (a demoted old master can acknowledge writes for seconds after the Sentinels named another).
            options.Progress.Enter("waiting until the new topology holds", 85);
            var topology = await roles.WaitSettledAsync((member, token) => Settling.ReadBackAsync(writes, fault, member,
                async (at, sequence, t) => await cluster.Member(at).CommandAsync(t, "HEXISTS", RedisCluster.ProbeKey(runId),
                    sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)) is 1L, token),
                newPrimary.Endpoint, options.PhaseTimeout, cancellationToken);
            neverSettled = topology.NeverSettledFigure(options.PhaseTimeout);
            var settled = cluster.Member(topology.Primary);
            var (settledEvent, settledDetail) = topology.Event($"{settled.Display} alone says it is the primary (ROLE); a probe write "
                + "it acknowledged was read back from it");
            timeline.Mark(settledEvent, settledDetail, topology.At);
            await roles.DisposeAsync();
            split = RoleWatch.SplitBrain(roles.Rounds);
            timeline.MarkSplitBrain(split);
            named = settled.Name == newPrimary.Name ? "named by the Sentinels" : $"the Sentinels had named {newPrimary.Display}";
            newPrimary = settled;
            since = roles.Rounds.FirstOrDefault(r => r.At >= fault && r.Primaries.Contains(settled.Endpoint))?.At ?? namedAt;
        }
        catch (Exception e)
        {
            if (frozen is { } pid)
            {
                ProcessTable.Signal(pid, ProcessTable.SigCont);
                e = new DrToolsException($"{options.Mode} drill (Sentinel recovering) failed: "
                    + $"{(e is DrToolsException known ? known.Message : e.Message)} The frozen primary was thawed. "
                    + $"Cluster now: {(await cluster.GetStatusAsync(CancellationToken.None)).Verdict}", DrErrorKind.InvalidOperation, e);
            }
            throw await DrillFailure.WithHistoryAsync(e, runId, writes, reads, timeline, clock);
        }

        options.Progress.Enter("measuring what the probes saw and the lost writes", 95);
        var rejoined = options.Mode == FailoverMode.Switchover || options.Rejoin || options.Fault == NodeFault.FreezeNode;
        var state = $"{newPrimary.Display} is the primary ({named}); {primary.Display} "
            + (rejoined ? "replicates from it" : "was left down (not rejoined)");
        var start = options.Mode == FailoverMode.Switchover ? "the switchover request" : "the fault";
        var result = await FailoverFigures.ResultAsync(plan, runId, clock, timeline, writes, reads, fault, options, start,
            primary.Display, newPrimary.Display, state,
            new Readback(cluster, newPrimary, new FinalPrimary(newPrimary.Endpoint, since), rejoined ? null : primary.Name, options,
                plan.Before, before),
            cancellationToken);
        return result with
        {
            RecoveredBy = nameof(RecoveredBy.Sentinel),
            Fault = options.Mode == FailoverMode.Switchover ? "SENTINEL FAILOVER" : Fault(options, primary.Display),
            RecoveryFigures =
            [
                new Measurement("time to a new primary named by the Sentinels", (namedAt - fault).TotalSeconds, "s", null,
                    $"from {start} to the first SENTINEL GET-MASTER-ADDR-BY-NAME answer naming another member (polled every 10 ms), "
                    + "on the drill's monotonic clock"),
            ],
            SplitBrainFigures =
            [
                RoleWatch.Figure(split, $"each member's own ROLE every {DurationText.Format(RoleWatch.Interval)} from before {start}",
                    result.TopologyAfter),
                .. result.SplitBrainFigures,
                .. neverSettled is { } never ? [never] : Array.Empty<Measurement>(),
            ],
        };
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
