using DrTools.Core.Cluster;
using DrTools.Core.Failover;
using DrTools.Core.Integrity;
using DrTools.Core.Probes;

namespace DrTools.Core.Engines;

public sealed partial class ReplicaSetDrill
{
    /// <summary>
    /// The phases of DrTools' own drill of a store other than PostgreSQL, over the skeleton <see cref="FailoverRun"/> gives
    /// every drill, and what they leave for the figures and for the description of a failure.
    /// </summary>
    private sealed class Phases(ReplicaSetDrill drill, IReplicaSet store, FailoverPlan plan, FailoverOptions options, FailoverRun run,
        RoleWatch roles)
    {
        private readonly string _primary = plan.Primary;
        private readonly List<string> _notes = [];
        private string? _acknowledgedOnceReplicated;
        private RejoinOutcome? _rejoin;
        private TimeSpan _promotionAt;
        private SplitBrainWindow? _split;
        private Measurement? _neverSettled;
        private Func<CancellationToken, Task<DbChecksum>>? _pinned;

        public DbChecksum? Before { get; set; }

        public bool Fenced { get; private set; }

        public bool Killed { get; private set; }

        public string? PromotionRequested { get; private set; }

        public TimeSpan Fault { get; private set; }

        /// <summary>The replicas that may be promoted; those left out of the choice are marked with why.</summary>
        public async Task<IReadOnlyList<string>> PromotableAsync(CancellationToken cancellationToken)
        {
            run.Enter("the check of the replicas that may be promoted", 20);
            var status = await store.GetStatusAsync(cancellationToken);
            var (promotable, leftOut) = await drill.PromotableAsync(status, plan.Before, plan.Candidate, cancellationToken);
            if (leftOut.Count > 0) run.Timeline.Mark("replicas left out of the choice", string.Join("; ", leftOut));
            return promotable;
        }

        /// <summary>The switchover's fence: the primary takes no more writes, and the candidate applies all it took.</summary>
        public async Task<string> FenceAsync(CancellationToken cancellationToken)
        {
            var candidate = plan.Candidate!;
            run.Enter("fencing the primary", 25);
            Fault = run.Clock.Elapsed;
            run.Timeline.Mark("primary fence requested", _primary, Fault);
            Fenced = true;
            var final = await store.FenceAsync(_primary, cancellationToken);
            run.Timeline.Mark("primary fenced", $"final {store.PositionKind} {final}");
            run.Enter("the replica's catch-up", 35);
            await store.WaitAppliedAsync(candidate, final, options.PhaseTimeout, cancellationToken);
            run.Timeline.Mark("replica applied all writes", $"{candidate} at {final}");
            if (options.CheckIntegrity && !drill.ReferenceOnPrimary(plan))
            {
                _pinned = await store.PinChecksumAsync(candidate, options.IntegrityTables, cancellationToken);
            }
            return candidate;
        }

        /// <summary>The failover's fault on the primary, then the choice of the replica to promote.</summary>
        public async Task<string> FailPrimaryAsync(IReadOnlyList<string> promotable, CancellationToken cancellationToken)
        {
            // Read before the kill: the most advanced replica then holds every commit the primary acknowledged.
            if (plan.Candidate is null || plan.Before.Standbys.Count() == 1)
            {
                _acknowledgedOnceReplicated = await store.AcknowledgedOnceReplicatedAsync(_primary, cancellationToken);
            }
            run.Enter("the fault injection", 25);
            var what = store.FaultDescription(_primary);
            Fault = run.Clock.Elapsed;
            run.Timeline.Mark(Timeline.FaultIssued, what, Fault);
            Killed = true;
            run.Timeline.Mark(Timeline.FaultCompleted, await PhaseLimit.RunAsync(what ?? "the fault", options.PhaseTimeout,
                token => store.InjectFaultAsync(_primary, token), cancellationToken));
            run.Enter("the choice of the replica to promote", 35);
            var (chosen, why) = await drill.ChooseReplicaAsync(plan, promotable, options, cancellationToken);
            run.Timeline.Mark("replica chosen", why);
            return chosen;
        }

        /// <summary>The promotion, the other replicas re-pointed and a fenced old primary made a replica at once.</summary>
        public async Task PromoteAsync(string candidate, CancellationToken cancellationToken)
        {
            run.Enter("the promotion", 50);
            _promotionAt = run.Clock.Elapsed;
            run.Timeline.Mark("promotion requested", candidate, _promotionAt);
            PromotionRequested = candidate;
            await store.PromoteAsync(candidate, cancellationToken);
            run.Timeline.Mark("promotion finished");

            run.Enter("re-pointing the other replicas", 60);
            // A diverged replica is left as it was: its GTIDs are not the new primary's history to follow.
            var others = plan.Before.Promotable.Select(s => s.Name).Where(n => n != candidate).ToList();
            foreach (var replica in others) await store.RepointAsync(replica, candidate, cancellationToken);
            if (others.Count > 0) run.Timeline.Mark("replicas re-pointed", string.Join(", ", others));
            // A fenced old primary becomes a replica at once, as the stores' own switchovers do: clients still held by
            // its fence then fail over instead of waiting.
            if (plan.Mode == FailoverMode.Switchover) await RejoinAsync(candidate, cancellationToken);
            if (_pinned is not null) Before = await _pinned(cancellationToken);

            run.Enter("waiting for the first write on the new primary", 70);
            await run.WaitForResumedAsync(run.Clock.Elapsed, "no write acknowledged after the promotion", cancellationToken);
        }

        /// <summary>A killed old primary back as a replica (after the expected alert, when one is awaited).</summary>
        public async Task RejoinKilledAsync(string candidate, CancellationToken cancellationToken)
        {
            if (options.BeforeRejoin is { } hold)
            {
                run.Enter("holding the rejoin until the expected alert fired", 75);
                run.Timeline.Mark("rejoin held", await hold(cancellationToken));
            }
            await RejoinAsync(candidate, cancellationToken);
        }

        private async Task RejoinAsync(string candidate, CancellationToken cancellationToken)
        {
            run.Enter("the rejoin of the old primary", 80);
            // A killed primary is started again: not once another member took over. A fenced one is held by this drill,
            // and checking it would lengthen the switchover's outage.
            if (Killed) RejoinGuard.DemandSoleWriter(await store.GetStatusAsync(cancellationToken), candidate, _primary);
            run.Timeline.Mark("rejoin started", _primary);
            _rejoin = await store.RejoinAsync(_primary, candidate, cancellationToken);
            Fenced = false;
            _rejoin.Copy?.MarkCopy(run.Timeline, run.Clock);
            if (_rejoin.Rejoined) run.Timeline.Mark("old primary rejoined as a replica", _rejoin.Detail);
            else _notes.Add($"{_primary} was not rejoined: {_rejoin.Detail}");
        }

        /// <summary>Until the servers themselves agree on the promoted primary, watched on through the settle time.</summary>
        public async Task SettleAsync(string candidate, CancellationToken cancellationToken)
        {
            run.Enter("waiting until the new topology holds", 90);
            var writes = run.Writes;
            var promoted = plan.Before.Members.First(m => m.Name == candidate).Endpoint;
            var settled = await roles.WaitSettledAsync((member, token) => Settling.ReadBackAsync(writes, _promotionAt, member,
                    async (at, sequence, t) => (await store.ProbeSequencesAsync(at, writes.RunId, t)).Contains(sequence), token),
                promoted, options.PhaseTimeout, cancellationToken);
            _neverSettled = settled.NeverSettledFigure(options.PhaseTimeout);
            if (!ClusterInspector.SameEndpoint(settled.Primary, promoted))
            {
                throw new DrToolsException(
                    $"the topology settled with {settled.Primary} as the primary, not the promoted {Display(plan, candidate)}.",
                    DrErrorKind.InvalidOperation);
            }
            var (settledEvent, settledDetail) = settled.Event($"{Display(plan, candidate)} alone says it is the primary; a probe write "
                + "it acknowledged was read back from it");
            run.Timeline.Mark(settledEvent, settledDetail, settled.At);
            run.EnterSettleWatch();
            // Watched through the settle time too: a member back as a primary just after the settling is a split brain.
            await Task.Delay(options.Settle, cancellationToken);
            await roles.DisposeAsync();
            _split = RoleWatch.SplitBrain(Unfenced(roles.Rounds, plan, run.Timeline));
            run.Timeline.MarkSplitBrain(_split);
            // Once writes went on after it: a stall the copy's locks caused has an end.
            _rejoin?.Copy?.MarkStall(run.Timeline, run.Clock, writes.Samples, TimeSpan.FromSeconds(3 / options.WriteProbe.Rate));
        }

        public async Task<FailoverResult> ResultAsync(string candidate, CancellationToken cancellationToken)
        {
            var chooser = plan.Mode == FailoverMode.Failover && plan.Candidate is null
                ? $" (chosen by DrTools: the most advanced replica by {store.PositionKind})"
                : "";
            var old = _rejoin is { Rejoined: true } ? $"rejoined as a replica ({_rejoin.Detail})"
                : plan.Mode == FailoverMode.Switchover ? "is fenced" : "was left down (not rejoined)";
            var state = $"{candidate} is the primary{chooser}; {_primary} {old}";
            if (_notes.Count > 0) state += "; " + string.Join("; ", _notes);
            var start = plan.Mode == FailoverMode.Switchover ? "the fence request" : "the fault";
            var finalPrimary = new FinalPrimary(plan.Before.Members.First(m => m.Name == candidate).Endpoint, _promotionAt);
            var readback = new Readback(store, candidate, finalPrimary, Before, options, plan.Before)
            {
                LeftDown = _rejoin is { Rejoined: true } || plan.Mode == FailoverMode.Switchover ? null : _primary,
            };
            var result = await FailoverFigures.ResultAsync(plan, run.RunId, run.Clock, run.Timeline, run.Writes, run.Reads, Fault,
                options, start, Display(plan, _primary), Display(plan, candidate), state, readback, cancellationToken);
            var rolesRead = $"each member's own role, as the store's status decides it, on a connection per member kept open, every "
                + $"{DurationText.Format(RoleInterval)} from before "
                + $"{start} (the old primary's not counted while this drill held it fenced: its writes paused or read-only)";
            var discarded = _rejoin?.Discarded ?? DiscardedTransactions.Unknown(_rejoin is null
                ? "the old primary was not rejoined: what it held beyond the new primary's start was not read"
                : $"{store.Engine} does not count them");
            if (_acknowledgedOnceReplicated is { } unacknowledged) discarded = discarded.Unacknowledged(unacknowledged);
            return result.WithDiscarded(discarded, options.RpoTarget) with
            {
                Fault = plan.Mode == FailoverMode.Failover ? store.FaultDescription(_primary) : $"fenced switchover of {_primary}",
                SplitBrainFigures = [RoleWatch.Figure(_split, rolesRead, result.TopologyAfter), .. result.SplitBrainFigures,
                    .. _neverSettled is { } never ? [never] : Array.Empty<Measurement>()],
            };
        }
    }
}
