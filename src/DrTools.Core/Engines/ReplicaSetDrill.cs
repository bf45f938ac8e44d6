using DrTools.Core.Cluster;
using DrTools.Core.Failover;
using DrTools.Core.Integrity;
using DrTools.Core.Probes;

namespace DrTools.Core.Engines;

/// <summary>
/// Switchover and failover drills of a store DrTools fails over itself (MariaDB, Redis), with the write and read probes
/// running throughout: the same phases, clock, figures and report as PostgreSQL's drill, with each engine's statements.
/// </summary>
public sealed class ReplicaSetDrill(IReplicaSet store) : IRecovery
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
        var clock = new MonotonicClock();
        var timeline = new Timeline(clock);
        var runId = Guid.NewGuid();
        var primary = plan.Primary;
        await store.PrepareProbeAsync(primary, cancellationToken);
        var referenceOnPrimary = plan.Mode == FailoverMode.Failover || store.ReplicaWritesUnseen;
        var before = options.CheckIntegrity && referenceOnPrimary
            ? await store.ChecksumAsync(primary, options.IntegrityTables, cancellationToken)
            : null;
        await using var writes = Probe.Start(ProbeKind.Write, runId, store.ProbeConnector(ProbeKind.Write, options.WriteProbe),
            options.WriteProbe, clock);
        await using var reads = Probe.Start(ProbeKind.Read, runId, store.ProbeConnector(ProbeKind.Read, options.ReadProbe),
            options.ReadProbe, clock);
        timeline.Mark("probes started", writes.Path);
        // Every member's own role from before the fault: two primaries at once are seen whenever they happen.
        await using var roleSource = store.Roles();
        await using var roles = RoleWatch.Start(roleSource.ReadAsync, clock, RoleInterval);

        var phase = "";
        void Enter(string name, int percent)
        {
            phase = name;
            options.Progress.Enter(name, percent);
        }
        Enter("the baseline", 5);
        var fenced = false;
        var killed = false;
        string? acknowledgedOnceReplicated = null;
        string? promotionRequested = null;
        string candidate;
        var fault = TimeSpan.Zero;
        var notes = new List<string>();
        RejoinOutcome? rejoin = null;
        var promotionAt = TimeSpan.Zero;
        SplitBrainWindow? split = null;
        Measurement? neverSettled = null;
        Func<CancellationToken, Task<DbChecksum>>? pinned = null;
        try
        {
            if (await writes.WaitForSuccessAsync(TimeSpan.Zero, options.PhaseTimeout, cancellationToken) is null)
            {
                throw new DrToolsException($"the write probe never succeeded ({writes.Samples.LastOrDefault()?.Error}); nothing was "
                    + $"changed.", DrErrorKind.InvalidOperation);
            }
            // A baseline of acknowledged writes before the fault: without it the outage has no start.
            await writes.WaitForBaselineAsync(options.BaselineWrites, options.PhaseTimeout, cancellationToken);
            Enter("the check of the replicas that may be promoted", 20);
            var status = await store.GetStatusAsync(cancellationToken);
            var (promotable, leftOut) = await PromotableAsync(status, plan.Before, plan.Candidate, cancellationToken);
            if (leftOut.Count > 0) timeline.Mark("replicas left out of the choice", string.Join("; ", leftOut));

            if (plan.Mode == FailoverMode.Switchover)
            {
                candidate = plan.Candidate!;
                Enter("fencing the primary", 25);
                fault = clock.Elapsed;
                timeline.Mark("primary fence requested", primary, fault);
                fenced = true;
                var final = await store.FenceAsync(primary, cancellationToken);
                timeline.Mark("primary fenced", $"final {store.PositionKind} {final}");
                Enter("the replica's catch-up", 35);
                await store.WaitAppliedAsync(candidate, final, options.PhaseTimeout, cancellationToken);
                timeline.Mark("replica applied all writes", $"{candidate} at {final}");
                if (options.CheckIntegrity && !referenceOnPrimary)
                {
                    pinned = await store.PinChecksumAsync(candidate, options.IntegrityTables, cancellationToken);
                }
            }
            else
            {
                // Read before the kill: the most advanced replica then holds every commit the primary acknowledged.
                if (plan.Candidate is null || plan.Before.Standbys.Count() == 1)
                {
                    acknowledgedOnceReplicated = await store.AcknowledgedOnceReplicatedAsync(primary, cancellationToken);
                }
                Enter("the fault injection", 25);
                var what = store.FaultDescription(primary);
                fault = clock.Elapsed;
                timeline.Mark(Timeline.FaultIssued, what, fault);
                killed = true;
                timeline.Mark(Timeline.FaultCompleted, await Failover.PhaseLimit.RunAsync(what ?? "the fault", options.PhaseTimeout,
                    token => store.InjectFaultAsync(primary, token), cancellationToken));
                Enter("the choice of the replica to promote", 35);
                var (chosen, why) = await ChooseReplicaAsync(plan, promotable, options, cancellationToken);
                candidate = chosen;
                timeline.Mark("replica chosen", why);
            }

            Enter("the promotion", 50);
            promotionAt = clock.Elapsed;
            timeline.Mark("promotion requested", candidate, promotionAt);
            promotionRequested = candidate;
            await store.PromoteAsync(candidate, cancellationToken);
            timeline.Mark("promotion finished");

            Enter("re-pointing the other replicas", 60);
            // A diverged replica is left as it was: its GTIDs are not the new primary's history to follow.
            var others = plan.Before.Promotable.Select(s => s.Name).Where(n => n != candidate).ToList();
            foreach (var replica in others) await store.RepointAsync(replica, candidate, cancellationToken);
            if (others.Count > 0) timeline.Mark("replicas re-pointed", string.Join(", ", others));
            // A fenced old primary becomes a replica at once, as the stores' own switchovers do: clients still held by
            // its fence then fail over instead of waiting.
            if (plan.Mode == FailoverMode.Switchover) await RejoinAsync();
            if (pinned is not null) before = await pinned(cancellationToken);

            Enter("waiting for the first write on the new primary", 70);
            var promotedAt = clock.Elapsed;
            var resumed = await Task.WhenAll(writes.WaitForSuccessAsync(promotedAt, options.PhaseTimeout, cancellationToken),
                reads.WaitForSuccessAsync(promotedAt, options.PhaseTimeout, cancellationToken));
            if (resumed[0] is null) timeline.Mark("no write acknowledged after the promotion",
                $"within {DurationText.Format(options.PhaseTimeout)}: {writes.Samples.LastOrDefault()?.Error}");

            if (plan.Mode == FailoverMode.Failover && options.Rejoin)
            {
                if (options.BeforeRejoin is { } hold)
                {
                    Enter("holding the rejoin until the expected alert fired", 75);
                    timeline.Mark("rejoin held", await hold(cancellationToken));
                }
                await RejoinAsync();
            }

            async Task RejoinAsync()
            {
                Enter("the rejoin of the old primary", 80);
                // A killed primary is started again: not once another member took over. A fenced one is held by this drill,
                // and checking it would lengthen the switchover's outage.
                if (killed) RejoinGuard.DemandSoleWriter(await store.GetStatusAsync(cancellationToken), candidate, primary);
                timeline.Mark("rejoin started", primary);
                rejoin = await store.RejoinAsync(primary, candidate, cancellationToken);
                fenced = false;
                rejoin.Copy?.MarkCopy(timeline, clock);
                if (rejoin.Rejoined) timeline.Mark("old primary rejoined as a replica", rejoin.Detail);
                else notes.Add($"{primary} was not rejoined: {rejoin.Detail}");
            }

            Enter("waiting until the new topology holds", 90);
            var promoted = plan.Before.Members.First(m => m.Name == candidate).Endpoint;
            var settled = await roles.WaitSettledAsync((member, token) => Settling.ReadBackAsync(writes, promotionAt, member,
                    async (at, sequence, t) => (await store.ProbeSequencesAsync(at, writes.RunId, t)).Contains(sequence), token),
                promoted, options.PhaseTimeout, cancellationToken);
            neverSettled = settled.NeverSettledFigure(options.PhaseTimeout);
            if (!ClusterInspector.SameEndpoint(settled.Primary, promoted))
            {
                throw new DrToolsException(
                    $"the topology settled with {settled.Primary} as the primary, not the promoted {Display(plan, candidate)}.",
                    DrErrorKind.InvalidOperation);
            }
            var (settledEvent, settledDetail) = settled.Event($"{Display(plan, candidate)} alone says it is the primary; a probe write "
                + "it acknowledged was read back from it");
            timeline.Mark(settledEvent, settledDetail, settled.At);
            // Watched through the settle time too: a member back as a primary just after the settling is a split brain.
            await Task.Delay(options.Settle, cancellationToken);
            await roles.DisposeAsync();
            split = RoleWatch.SplitBrain(Unfenced(roles.Rounds, plan, timeline));
            timeline.MarkSplitBrain(split);
            // Once writes went on after it: a stall the copy's locks caused has an end.
            rejoin?.Copy?.MarkStall(timeline, clock, writes.Samples, TimeSpan.FromSeconds(3 / options.WriteProbe.Rate));
        }
        catch (Exception e)
        {
            var acknowledged = (await writes.StopAsync()).Count(s => s.Succeeded);
            await reads.StopAsync();
            throw await DrillFailure.WithHistoryAsync(await DescribeFailureAsync(e, plan, fenced, killed, promotionRequested, phase,
                acknowledged), runId, writes, reads, timeline, clock);
        }

        options.Progress.Enter("measuring what the probes saw, lost writes and integrity", 95);
        var chooser = plan.Mode == FailoverMode.Failover && plan.Candidate is null
            ? $" (chosen by DrTools: the most advanced replica by {store.PositionKind})"
            : "";
        var old = rejoin is { Rejoined: true } ? $"rejoined as a replica ({rejoin.Detail})"
            : plan.Mode == FailoverMode.Switchover ? "is fenced" : "was left down (not rejoined)";
        var state = $"{candidate} is the primary{chooser}; {primary} {old}";
        if (notes.Count > 0) state += "; " + string.Join("; ", notes);
        var start = plan.Mode == FailoverMode.Switchover ? "the fence request" : "the fault";
        var finalPrimary = new FinalPrimary(plan.Before.Members.First(m => m.Name == candidate).Endpoint, promotionAt);
        var readback = new Readback(store, candidate, finalPrimary, before, options, plan.Before)
        {
            LeftDown = rejoin is { Rejoined: true } || plan.Mode == FailoverMode.Switchover ? null : primary,
        };
        var result = await FailoverFigures.ResultAsync(plan, runId, clock, timeline, writes, reads, fault, options, start, Display(plan,
            primary), Display(plan, candidate), state, readback, cancellationToken);
        var rolesRead = $"each member's own role, as the store's status decides it, on a connection per member kept open, every "
            + $"{DurationText.Format(RoleInterval)} from before "
            + $"{start} (the old primary's not counted while this drill held it fenced: its writes paused or read-only)";
        var discarded = rejoin?.Discarded ?? DiscardedTransactions.Unknown(rejoin is null
            ? "the old primary was not rejoined: what it held beyond the new primary's start was not read"
            : $"{store.Engine} does not count them");
        if (acknowledgedOnceReplicated is { } unacknowledged) discarded = discarded.Unacknowledged(unacknowledged);
        return result.WithDiscarded(discarded, options.RpoTarget) with
        {
            Fault = plan.Mode == FailoverMode.Failover ? store.FaultDescription(primary) : $"fenced switchover of {primary}",
            SplitBrainFigures = [RoleWatch.Figure(split, rolesRead, result.TopologyAfter), .. result.SplitBrainFigures,
                .. neverSettled is { } never ? [never] : Array.Empty<Measurement>()],
        };
    }

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
