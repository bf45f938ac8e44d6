using DrTools.Core.Failover;
using DrTools.Core.Probes;

namespace DrTools.Core.Patroni;

internal static partial class PatroniDrill
{
    /// <summary>
    /// The phases of a drill Patroni recovers, over the skeleton <see cref="FailoverRun"/> gives every drill: DrTools injects
    /// the fault (or asks Patroni for the switchover) and observes; it promotes nothing.
    /// </summary>
    private sealed class Phases(PatroniCluster cluster, FailoverPlan plan, FailoverOptions options, FailoverRun run,
        PostgresSettling roles, NodeFaultInjection fault)
    {
        private FinalPrimary? _final;
        private Task? _answer;

        public RecoveryWatch Watch { get; } = new(cluster, plan, run.Timeline, run.Clock);

        public string What { get; private set; } = "";

        /// <summary>The switchover asked of Patroni (answered once done: observed meanwhile), or the fault on the leader.</summary>
        public async Task ActAsync(CancellationToken cancellationToken)
        {
            run.Enter(plan.Mode == FailoverMode.Switchover ? "the switchover through Patroni" : "the fault injection", 20);
            var api = plan.Mode == FailoverMode.Switchover ? await cluster.LeaderApiAsync(plan.Primary, cancellationToken) : null;
            Watch.Fault = run.Clock.Elapsed;
            if (api is not null)
            {
                What = $"switchover from {plan.Primary} to {plan.Candidate} requested from Patroni (POST /switchover)";
                run.Timeline.Mark("primary stop requested", What, Watch.Fault);
                // Patroni answers once the switchover is done: observed meanwhile, so detection and promotion are when they happened.
                _answer = api.SwitchoverAsync(plan.Primary, plan.Candidate!, cancellationToken);
                return;
            }
            What = fault.Description;
            run.Timeline.Mark(Timeline.FaultIssued, What, Watch.Fault);
            run.Timeline.Mark(Timeline.FaultCompleted, await PhaseLimit.RunAsync(What, options.PhaseTimeout,
                token => fault.InjectAsync(plan.Postgres.Member(plan.Primary), token), cancellationToken));
        }

        /// <summary>Until Patroni has a new leader that takes writes; a frozen node is thawed when its freeze ends.</summary>
        public async Task ObserveRecoveryAsync(CancellationToken cancellationToken)
        {
            run.Enter("observing Patroni recover", 40);
            var thawAt = Watch.Fault + (cluster.Sandbox is { } sandbox ? FreezeDuration(sandbox, options) : TimeSpan.Zero);
            await Polling.RequireAsync(async () =>
            {
                await AnsweredAsync();
                if (fault.Frozen && run.Clock.Elapsed >= thawAt) run.Timeline.Mark("node thawed", fault.Thaw());
                await Watch.ObserveAsync(cancellationToken);
                return Watch.Recovered(run.Writes.Samples);
            }, options.PhaseTimeout, Poll, () => Watch.NotRecovered(options.PhaseTimeout), cancellationToken);
            if (fault.Thaw() is { } thawed) run.Timeline.Mark("node thawed", thawed);
            if (_answer is not null)
            {
                await _answer;
                await AnsweredAsync();
            }
        }

        /// <summary>Marks Patroni's answer to the switchover once it came (a refusal throws here).</summary>
        private async Task AnsweredAsync()
        {
            if (_answer is not { IsCompleted: true } done) return;
            _answer = null;
            await done;
            run.Timeline.Mark("Patroni answered the switchover");
        }

        /// <summary>
        /// Until Patroni has the old leader back as a streaming replica (its Patroni started again if the fault stopped it).
        /// </summary>
        public async Task WaitForRejoinAsync(CancellationToken cancellationToken)
        {
            run.Enter("the old leader's return as a replica", 75);
            if (await fault.RestartNodeAsync() is { } restarted) run.Timeline.Mark("node restarted", restarted);
            await Polling.RequireAsync(async () =>
            {
                await Watch.ObserveAsync(cancellationToken);
                return Watch.Rejoined;
            }, options.PhaseTimeout, Poll, ()
                => $"{plan.Primary} did not come back as a streaming replica within {DurationText.Format(options.PhaseTimeout)}: "
                + $"{Watch.State}{RecentLog(cluster.Sandbox, plan.Primary)}", cancellationToken);
        }

        /// <summary>Patroni's view is its belief: the probes run on until the servers themselves agree on one primary.</summary>
        public async Task SettleAsync(CancellationToken cancellationToken)
        {
            run.Enter("waiting until the new topology holds", 85);
            var since = Watch.Promoted ?? Watch.Fault;
            _final = await roles.SettleAsync(run.Writes, since, Watch.NewLeader!, $"Patroni's leader {Watch.NewLeader}", run.Timeline,
                options.PhaseTimeout, cancellationToken);
            run.EnterSettleWatch();
            await roles.WatchOnAsync(options.Settle, run.Timeline, cancellationToken);
        }

        public async Task<FailoverResult> ResultAsync(Integrity.DbChecksum? before, CancellationToken cancellationToken)
        {
            var newLeader = plan.Postgres.Member(Watch.NewLeader!);
            var start = plan.Mode == FailoverMode.Switchover ? "the switchover request" : "the fault";
            var end = new DrillEnd(plan, run.RunId, run.Clock, run.Timeline, run.Writes, run.Reads, Watch.Fault,
                plan.Postgres.Member(plan.Primary), newLeader, before, options, start)
            {
                Final = _final,
            };
            // Patroni rejoins the old leader in its own time: its replicas are not waited for here.
            var outcome = Watch.Outcome(plan.Mode == FailoverMode.Switchover || options.Rejoin);
            var result = await FailoverFigures.ResultAsync(end, outcome, followers: false, leftDown: false, cancellationToken);
            return roles.WithSplitBrain(result) with
            {
                RecoveredBy = nameof(RecoveredBy.Patroni), Fault = What, RecoveryFigures = Watch.Figures(result.WriteSamples, start),
            };
        }
    }
}
