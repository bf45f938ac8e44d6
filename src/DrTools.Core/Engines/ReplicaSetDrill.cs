using DrTools.Core.Cluster;
using DrTools.Core.Failover;
using DrTools.Core.Integrity;
using DrTools.Core.Probes;

namespace DrTools.Core.Engines;

/// <summary>
/// Switchover and failover drills of a store DrTools fails over itself (MariaDB, Redis), with the write and read probes
/// running throughout: the same phases, clock, figures and report as PostgreSQL's drill, with each engine's statements.
/// </summary>
public sealed partial class ReplicaSetDrill(IReplicaSet store) : IRecovery
{
    public RecoveredBy RecoveredBy => RecoveredBy.DrTools;

    public async Task<FailoverPlan> PlanAsync(FailoverOptions options, CancellationToken cancellationToken)
    {
        store.DemandDrillAllowed(options.Mode.ToString().ToLowerInvariant());
        RefuseUnsupported(options);
        var status = await store.GetStatusAsync(cancellationToken);
        var primary = status.PrimaryFor(options.Mode);
        var replicas = status.Promotable.Where(s => s.ReplicationState == "streaming").ToList();
        MemberStatus? candidate = null;
        if (options.Candidate is { } chosen)
        {
            candidate = status.ChosenCandidate(chosen);
            await PromotableAsync(status, status, candidate.Name, cancellationToken);
        }
        else if (replicas.Count == 0)
        {
            var none = status.Standbys.Any(s => s.Divergence is not null) ? "no replica that is not diverged" : "no replica";
            throw DrToolsException.Refused($"{options.Mode} of {store.Name} refused: {none} is replicating to promote ({status.Verdict})");
        }
        else if (options.Mode == FailoverMode.Switchover)
        {
            var positions = new List<(MemberStatus Replica, ReplicaPosition Applied)>();
            foreach (var replica in replicas) positions.Add((replica, await store.AppliedPositionAsync(replica.Name, cancellationToken)));
            candidate = positions.MaxBy(p => p.Applied.Value).Replica;
        }
        var fault = options.Mode == FailoverMode.Failover
            ? store.FaultDescription(primary.Name)
                ?? throw DrToolsException.Refused($"an unplanned failover of {store.Name} needs a member DrTools can kill: a sandbox "
                + $"(New-DrSandbox -Engine {store.Engine}); a switchover works on any cluster allowed for drills",
                DrErrorKind.InvalidOperation)
            : null;

        var steps = new List<string>
        {
            $"start a write probe ({options.WriteProbe.Rate}/s {store.ProbeConnector(ProbeKind.Write, options.WriteProbe).WriteStatement}) "
                + $"and a read probe ({options.ReadProbe.Rate}/s) through the application's connection path",
        };
        var referenceOnPrimary = options.Mode == FailoverMode.Failover || store.ReplicaWritesUnseen;
        if (options.CheckIntegrity && referenceOnPrimary) steps.Add("checksum the data in scope on the primary");
        if (options.Mode == FailoverMode.Switchover)
        {
            steps.Add($"fence {primary.Display}: it refuses writes from every client; read its final {store.PositionKind}");
            steps.Add($"wait until {candidate!.Display} has applied up to it");
            if (options.CheckIntegrity && !referenceOnPrimary)
            {
                steps.Add($"pin a checksum of {candidate.Display} (a snapshot where the store has them): the old primary's final state");
            }
        }
        else
        {
            steps.Add($"inject the fault: {fault}");
            var settled = $"once it has applied all it received and its link to the primary is down, or the primary is unreachable and its "
                + $"position has not moved for {DurationText.Format(options.ReceiveSettle)}";
            steps.Add(candidate is null ? $"choose the most advanced replica by applied {store.PositionKind}, each {settled}"
                : $"promote the chosen {candidate.Display} {settled}");
        }
        steps.AddRange(status.NeverPromotedSteps);
        steps.Add($"promote {candidate?.Display ?? "it"}");
        if (status.Standbys.Count() > 1) steps.Add("point the other replicas at the new primary");
        var rejoin = options.Mode == FailoverMode.Switchover || options.Rejoin;
        steps.Add(rejoin
            ? $"rejoin {primary.Display} as a replica of the new primary (refused, and said, if it has writes the new primary lacks)"
            : $"leave {primary.Display} down (no rejoin requested)");
        steps.Add("measure write unavailability, read reconnection and lost acknowledged writes from the probes; compare checksums; read "
            + "the topology");
        return new FailoverPlan(store, options.Mode, primary.Name, candidate?.Name, steps, status);
    }

    /// <summary>What only PostgreSQL's drill can do is refused in one line, before anything is read or changed.</summary>
    private void RefuseUnsupported(FailoverOptions options)
    {
        var unsupported = new[]
        {
            options.LibraryFault is { } library ? $"the fault library's {library.Kind}" : null,
            options.RecoveredBy != RecoveredBy.DrTools ? $"recovery by {options.RecoveredBy}" : null,
            options.Fault != NodeFault.KillNode ? $"the node fault {options.Fault}" : null,
            options.WriteProbe.ConnectionString is not null ? "a probe connection string" : null,
        }.OfType<string>().ToList();
        if (unsupported.Count > 0)
        {
            throw DrToolsException.Refused($"{store.Engine} drills do not support {string.Join(" or ", unsupported)} yet; the fault is the "
                + $"kill of the primary (Failover) or a fenced switchover", DrErrorKind.InvalidArgument);
        }
    }

    public async Task<FailoverResult> RunAsync(FailoverPlan plan, FailoverOptions options, CancellationToken cancellationToken)
    {
        await using var run = new FailoverRun(options);
        await store.PrepareProbeAsync(plan.Primary, cancellationToken);
        var before = options.CheckIntegrity && ReferenceOnPrimary(plan)
            ? await store.ChecksumAsync(plan.Primary, options.IntegrityTables, cancellationToken)
            : null;
        run.StartProbes(kind => Probe.Start(kind, run.RunId, store.ProbeConnector(kind, options.Probe(kind)), options.Probe(kind),
            run.Clock));
        // Every member's own role from before the fault: two primaries at once are seen whenever they happen.
        await using var roleSource = store.Roles();
        await using var roles = RoleWatch.Start(roleSource.ReadAsync, run.Clock, RoleInterval);
        var phases = new Phases(this, store, plan, options, run, roles) { Before = before };
        string candidate;
        try
        {
            await run.BaselineAsync(null, cancellationToken);
            var promotable = await phases.PromotableAsync(cancellationToken);
            candidate = plan.Mode == FailoverMode.Switchover
                ? await phases.FenceAsync(cancellationToken)
                : await phases.FailPrimaryAsync(promotable, cancellationToken);
            await phases.PromoteAsync(candidate, cancellationToken);
            if (plan.Mode == FailoverMode.Failover && options.Rejoin) await phases.RejoinKilledAsync(candidate, cancellationToken);
            await phases.SettleAsync(candidate, cancellationToken);
        }
        catch (Exception e)
        {
            var acknowledged = await run.StopProbesAsync();
            throw await run.FailedAsync(await DescribeFailureAsync(e, plan, phases.Fenced, phases.Killed, phases.PromotionRequested,
                run.Phase, acknowledged));
        }
        return await run.MeasureAsync(() => phases.ResultAsync(candidate, cancellationToken));
    }

    /// <summary>Whether the checksum to compare with is taken on the primary before the drill, or on the candidate once
    /// fenced (a store whose replicas take writes the primary never sees).</summary>
    private bool ReferenceOnPrimary(FailoverPlan plan) => plan.Mode == FailoverMode.Failover || store.ReplicaWritesUnseen;

    private static readonly TimeSpan RoleInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// The rounds without the old primary's reading while this drill held it fenced (a paused Redis master still says
    /// master, but takes no write until it is a replica).
    /// </summary>
    private static IReadOnlyList<RoleRound> Unfenced(IReadOnlyList<RoleRound> rounds, FailoverPlan plan, Timeline timeline)
    {
        var from = timeline.Events.FirstOrDefault(e => e.Name == "primary fence requested")?.At;
        if (from is null) return rounds;
        var to = timeline.Events.FirstOrDefault(e => e.Name == "old primary rejoined as a replica")?.At ?? TimeSpan.MaxValue;
        var old = plan.Before.Members.First(m => m.Name == plan.Primary).Endpoint;
        return rounds.Select(r => r.At < from || r.At > to
            ? r
            : r with { Readings = r.Readings.Where(x => !ClusterInspector.SameEndpoint(x.Member, old)).ToList() }).ToList();
    }

    private static string Display(FailoverPlan plan, string member) => plan.Before.Members.FirstOrDefault(m => m.Name == member)?.Display
        ?? member;

    /// <summary>
    /// After the fault: waits until each replica has applied what it received and will receive no more, then picks the
    /// most advanced (the user's choice is the only one asked when there is one); says why, with the others' positions.
    /// </summary>
    private async Task<(string Replica, string Why)> ChooseReplicaAsync(FailoverPlan plan, IReadOnlyList<string> names,
        FailoverOptions options, CancellationToken cancellationToken)
    {
        var primaryGoneSince = await WaitUnreachableAsync(plan.Primary, options.PhaseTimeout, cancellationToken);
        var positions = await Task.WhenAll(names.Select(async name =>
        {
            var last = default(ReplicaPosition);
            var lastChange = System.Diagnostics.Stopwatch.GetTimestamp();
            var how = "";
            try
            {
                await Polling.RequireAsync(async () =>
                {
                    var (applied, settled, said) = await store.ReplicaAfterFaultAsync(name, primaryGoneSince is not null,
                        cancellationToken);
                    if (applied != last) (last, lastChange) = (applied, System.Diagnostics.Stopwatch.GetTimestamp());
                    how = said;
                    return settled && System.Diagnostics.Stopwatch.GetElapsedTime(lastChange) >= options.ReceiveSettle;
                }, options.PhaseTimeout, TimeSpan.FromMilliseconds(20),
                    () => $"{name} did not settle within {DurationText.Format(options.PhaseTimeout)} (applied to {last}; {how}).",
                    cancellationToken);
                return (Name: name, Applied: (ReplicaPosition?)last,
                    How: $"{how}; its applied position had not moved for {DurationText.Format(options.ReceiveSettle)}");
            }
            catch (DrToolsException e) when (plan.Candidate is null && !cancellationToken.IsCancellationRequested)
            {
                // A replica that went away or never settled is simply not a candidate: the choice says why.
                return (Name: name, Applied: null, How: e.Message);
            }
        }));
        var reachable = positions.Where(p => p.Applied is not null).ToList();
        if (reachable.Count == 0) throw new DrToolsException("no replica could be reached to promote.", DrErrorKind.InvalidOperation);
        var best = reachable.MaxBy(p => p.Applied!.Value.Value);
        if (plan.Candidate is not null) return (best.Name, $"{best.Name}, applied to {best.Applied} ({best.How})");
        var others = positions.Where(p => p.Name != best.Name)
            .Select(p => p.Applied is { } at ? $"{p.Name} at {at}" : $"{p.Name} left out: {p.How}").ToList();
        return (best.Name, $"{best.Name}, the most advanced by {store.PositionKind}: applied to {best.Applied}"
            + (others.Count == 0 ? "" : $" ({string.Join(", ", others)})") + $"; {best.How}");
    }

    /// <summary>
    /// The replicas that may be promoted (the chosen one, else every replica): one that lacks the write probe's table and
    /// does not replicate would never receive it, and every probe write on it would fail until the phase timeout. A chosen
    /// one is refused, as is a drill with no other, before anything is changed; the others are left out, saying why.
    /// </summary>
    /// <param name="before">
    /// The plan's status: a divergence it found does not heal, and one found by comparing data (Redis) may not be found
    /// again while the probes write.
    /// </param>
    private async Task<(IReadOnlyList<string> Promotable, IReadOnlyList<string> LeftOut)> PromotableAsync(ClusterStatus status,
        ClusterStatus before, string? chosen, CancellationToken cancellationToken)
    {
        var replicas = status.Standbys.Where(s => chosen is null || s.Name == chosen).ToList();
        if (chosen is not null && replicas.Count == 0) return ([chosen], []); // unreachable now: the drill says so where it reaches it
        var promotable = new List<string>();
        var refused = new List<string>();
        foreach (var replica in replicas)
        {
            if ((replica.Divergence ?? before.Standbys.FirstOrDefault(s => s.Name == replica.Name)?.Divergence) is { } divergence)
            {
                refused.Add($"{replica.Display} is {divergence}: promoted, it would spread writes the primary never had");
                continue;
            }
            var missing = replica.ReplicationState == "streaming" ? null
                : await store.ProbeTargetMissingAsync(replica.Name, cancellationToken);
            if (missing is null)
            {
                promotable.Add(replica.Name);
            }
            else
            {
                refused.Add($"{missing} and does not replicate ({replica.ReplicationError ?? "stopped"}): its replication had stopped "
                    + "before the drill created it");
            }
        }
        if (promotable.Count > 0 || refused.Count == 0) return (promotable, refused);
        var who = chosen is null ? "no replica can be promoted" : $"{replicas[0].Display} cannot be promoted";
        throw DrToolsException.Refused($"{who}: {string.Join("; ", refused)}. Repair it or choose another",
            DrErrorKind.InvalidOperation);
    }

    /// <summary>When the killed primary stopped answering (its position can then move no more), or null if it still answers after the
    /// timeout.</summary>
    private async Task<long?> WaitUnreachableAsync(string primary, TimeSpan timeout, CancellationToken cancellationToken)
    {
        long? since = null;
        await Polling.UntilAsync(async () =>
        {
            try
            {
                using var quick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                quick.CancelAfter(TimeSpan.FromSeconds(1));
                await store.AppliedPositionAsync(primary, quick.Token);
                return false;
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                since = System.Diagnostics.Stopwatch.GetTimestamp();
                return true;
            }
        }, timeout, TimeSpan.FromMilliseconds(20), cancellationToken);
        return since;
    }

    /// <summary>The drill failed or was cancelled part-way: put the primary back when nothing was promoted, and say where the cluster
    /// stands.</summary>
    private async Task<Exception> DescribeFailureAsync(Exception error, FailoverPlan plan, bool fenced, bool killed,
        string? promotionRequested, string phase, int acknowledged)
    {
        var recovery = "";
        try
        {
            if (promotionRequested is not null && (fenced || killed))
            {
                recovery = $" The old primary {plan.Primary} was left {(fenced ? "fenced" : "down")}: {promotionRequested} was asked to "
                    + $"promote, and bringing the old primary back would make two primaries.";
            }
            else if (fenced)
            {
                await store.UnfenceAsync(plan.Primary, CancellationToken.None);
                recovery = $" The fence on {plan.Primary} was lifted: it accepts writes again.";
            }
            else if (killed
                && RejoinGuard.OtherWriters(await store.GetStatusAsync(CancellationToken.None), plan.Primary) is { Count: > 0 } others)
            {
                recovery = RejoinGuard.LeftDown(plan.Primary, others);
            }
            else if (killed)
            {
                recovery = await store.RestartAsync(plan.Primary, CancellationToken.None)
                    ? $" The old primary {plan.Primary} was restarted."
                    : $" The old primary {plan.Primary} is down and DrTools cannot restart it.";
            }
        }
        catch (DrToolsException restore)
        {
            recovery = $" Putting the old primary back failed: {restore.Message}";
        }
        var status = await store.GetStatusAsync(CancellationToken.None);
        var where = $"{recovery} Cluster now: {status.Verdict}";
        if (error is OperationCanceledException) return new OperationCanceledException($"{plan.Mode} drill cancelled during "
            + $"{phase}.{where}", error);
        var reason = error is DrToolsException known ? known.Message : error.Message;
        return new DrToolsException($"{plan.Mode} drill failed during {phase}: {reason}{where} ({acknowledged} probe writes were "
            + $"acknowledged.)", DrErrorKind.InvalidOperation, error);
    }

    private sealed class Readback(IReplicaSet store, string newPrimary, FinalPrimary final, DbChecksum? before, FailoverOptions options,
        ClusterStatus planned)
        : IDrillReadback
    {
        public FinalPrimary FinalPrimary => final;

        public string FinalNode => final.Server;

        public async Task<IReadOnlyCollection<long>> FinalReadAsync(Guid runId, CancellationToken cancellationToken) =>
            [.. await store.ProbeSequencesAsync(newPrimary, runId, cancellationToken)];

        public async Task<ChecksumComparison?> IntegrityAsync(CancellationToken cancellationToken) =>
            before is null ? null : DbChecksums.Compare(before, await store.ChecksumAsync(newPrimary, options.IntegrityTables,
                cancellationToken));

        public string Followed => newPrimary;

        public string? LeftDown { get; init; }

        public Task<ClusterStatus> TopologyAsync(CancellationToken cancellationToken) => store.GetStatusAsync(cancellationToken);

        public Task<ChecksumComparison?> WithReplicasAsync(ChecksumComparison? integrity, ClusterStatus topology,
            CancellationToken cancellationToken) => options.CheckIntegrity
            ? store.CompareReplicasAsync(newPrimary, topology, planned, integrity, options.IntegrityTables, options.PhaseTimeout,
                cancellationToken)
            : Task.FromResult(integrity);
    }
}
