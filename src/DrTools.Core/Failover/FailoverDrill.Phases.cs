using DrTools.Core.Cluster;
using DrTools.Core.Integrity;
using DrTools.Core.Postgres;
using DrTools.Core.Probes;

namespace DrTools.Core.Failover;

public static partial class FailoverDrill
{
    /// <summary>
    /// The phases of DrTools' own PostgreSQL drill, over the skeleton <see cref="FailoverRun"/> gives every drill, and what
    /// they leave for the figures and for the description of a failure.
    /// </summary>
    private sealed class Phases(FailoverPlan plan, IMemberControl control, FailoverOptions options, FailoverRun run,
        SyncReplication sync, PostgresSettling roles)
    {
        private readonly DbMember _primary = plan.Postgres.Member(plan.Primary);
        private readonly List<string> _notes = [];
        private TimeSpan _promotionAsked;
        private FinalPrimary? _finalPrimary;

        public DbChecksum? Before { get; set; }

        public bool PrimaryDown { get; private set; }

        public DbMember? PromotionRequested { get; private set; }

        public TimeSpan Fault { get; private set; }

        public bool Rejoined { get; private set; }

        public DiscardedTransactions Discarded { get; private set; } = DiscardedTransactions.Unknown(
            "the old primary was not rejoined: its WAL beyond the new primary's start was not read");

        /// <summary>The switchover's stop: the candidate caught up, the primary stopped cleanly, all its WAL replayed.</summary>
        public async Task<Session> StopPrimaryAsync(Session candidate, DbChecksums.ChecksumSnapshot? pinned,
            CancellationToken cancellationToken)
        {
            run.Enter("the catch-up check", 15);
            await CheckCaughtUpAsync(_primary, candidate, options.MaxCatchUpBytes, cancellationToken);
            // While the primary still serves: the shutdown checkpoint then has little left to write.
            await _primary.ExecuteAsync("checkpoint", cancellationToken);
            run.Timeline.Mark("checkpoint before the stop");
            run.Enter("the clean stop of the primary", 25);
            Fault = run.Clock.Elapsed;
            run.Timeline.Mark("primary stop requested", $"fast shutdown of {_primary.Display}", Fault);
            PrimaryDown = true;
            await PhaseLimit.RunAsync($"the clean stop of {_primary.Display}", options.PhaseTimeout,
                token => control.StopCleanlyAsync(_primary, token), cancellationToken);
            run.Timeline.Mark("primary stopped");
            run.Enter("the standby's catch-up", 35);
            var final = await control.FinalLsnAsync(_primary, cancellationToken);
            var replayed = await WaitForFinalReplayAsync(candidate, final, options.PhaseTimeout, cancellationToken);
            run.Timeline.Mark("standby replayed all WAL", final is null ? $"replayed to {replayed}"
                : $"replayed to {replayed}, past the shutdown checkpoint at {final}");
            if (pinned is not null) await pinned.PinAsync(cancellationToken);
            return candidate;
        }

        /// <summary>The failover's fault on the primary, then the choice of the standby to promote.</summary>
        public async Task<Session> FailPrimaryAsync(IReadOnlyList<Session> sessions, CancellationToken cancellationToken)
        {
            run.Enter("the fault injection", 25);
            var what = control.FaultDescription(_primary);
            Fault = run.Clock.Elapsed;
            run.Timeline.Mark(Timeline.FaultIssued, what, Fault);
            PrimaryDown = true;
            run.Timeline.Mark(Timeline.FaultCompleted, await PhaseLimit.RunAsync(what, options.PhaseTimeout,
                token => control.InjectFaultAsync(_primary, token), cancellationToken));
            run.Enter("the choice of the standby to promote", 35);
            var (chosen, lsn, how) = await ChooseStandbyAsync(sessions, _primary, plan.Candidate is not null, options, cancellationToken);
            run.Timeline.Mark("standby chosen", $"{chosen.Member.Display}, replayed to {lsn} ({how})");
            return chosen;
        }

        /// <summary>The promotion, then the other standbys re-pointed: those that follow the new primary.</summary>
        public async Task<List<DbMember>> PromoteAsync(Session candidate, DbChecksums.ChecksumSnapshot? pinned,
            CancellationToken cancellationToken)
        {
            run.Enter("the promotion", 50);
            _promotionAsked = run.Clock.Elapsed;
            run.Timeline.Mark("promotion requested", candidate.Member.Display, _promotionAsked);
            PromotionRequested = candidate.Member;
            await FailoverDrill.PromoteAsync(candidate, options.PhaseTimeout, cancellationToken);
            run.Timeline.Mark("promotion finished");
            if (pinned is not null) Before = await pinned.ComputeAsync(cancellationToken);

            run.Enter("re-pointing the other standbys", 60);
            var followers = new List<DbMember>();
            foreach (var diverged in plan.Before.Standbys.Where(s => s.Divergence is not null))
            {
                _notes.Add($"{diverged.Display} was not re-pointed: it is {diverged.Divergence}; rebuild it from the new primary");
            }
            var others = plan.Before.Promotable.Where(s => s.Name != candidate.Member.Name).Select(s => plan.Postgres.Member(s.Name));
            foreach (var standby in others)
            {
                if (await control.RepointStandbyAsync(standby, candidate.Member, cancellationToken)) followers.Add(standby);
                else _notes.Add($"{standby.Display} was not re-pointed (not a member DrTools controls)");
            }
            if (followers.Count > 0) run.Timeline.Mark("standbys re-pointed", string.Join(", ", followers.Select(f => f.Name)));

            run.Enter("waiting for the first write on the new primary", 70);
            await run.WaitForResumedAsync(run.Clock.Elapsed, "no write acknowledged after the promotion", cancellationToken);
            return followers;
        }

        /// <summary>The old primary back as a standby of the new one, never once another member took writes.</summary>
        public async Task RejoinAsync(DbMember promoted, List<DbMember> followers, CancellationToken cancellationToken)
        {
            if (options.BeforeRejoin is { } hold && plan.Mode == FailoverMode.Failover)
            {
                run.Enter("holding the rejoin until the expected alert fired", 75);
                run.Timeline.Mark("rejoin held", await hold(cancellationToken));
            }
            run.Enter("the rejoin of the old primary", 80);
            var writable = await ClusterInspector.GetStatusAsync(plan.Postgres, cancellationToken);
            RejoinGuard.DemandSoleWriter(writable, promoted.Name, _primary.Name);
            run.Timeline.Mark("rejoin started", _primary.Display);
            Discarded = await control.DiscardedAsync(_primary, promoted, cancellationToken);
            if (sync.Protected(promoted))
            {
                Discarded = Discarded.Unacknowledged($"commits waited for {promoted.Display} ({sync.Describe()}), so none the new "
                    + "primary lacks was acknowledged, unless its session set synchronous_commit local or off");
            }
            if (Discarded.Count > 0) run.Timeline.Mark("old primary's transactions discarded", $"{Discarded.Count}: {Discarded.Method}");
            Rejoined = await control.RejoinAsync(_primary, promoted, sync.ApplicationName(_primary), cancellationToken);
            if (Rejoined)
            {
                followers.Add(_primary);
                run.Timeline.Mark("old primary rejoined as a standby");
            }
            else _notes.Add($"{_primary.Display} was not rejoined (not a member DrTools controls)");
        }

        /// <summary>Synchronous replication restored, then the probes run on until the servers themselves agree.</summary>
        public async Task SettleAsync(DbMember promoted, List<DbMember> followers, CancellationToken cancellationToken)
        {
            run.Enter("restoring synchronous replication on the new primary", 90);
            if (await sync.RestoreAsync(promoted, _primary, followers, options.PhaseTimeout, cancellationToken) is { } suspended)
            {
                _notes.Add(suspended);
            }
            // One primary, every other reachable member a standby.
            run.Enter("waiting until the new topology holds", 92);
            _finalPrimary = await roles.SettleAsync(run.Writes, _promotionAsked, promoted.Name, $"the promoted {promoted.Display}",
                run.Timeline, options.PhaseTimeout, cancellationToken);
            run.EnterSettleWatch();
            await roles.WatchOnAsync(options.Settle, run.Timeline, cancellationToken);
        }

        public async Task<FailoverResult> ResultAsync(DbMember promoted, CancellationToken cancellationToken)
        {
            // What the drill did with the old primary: whether it answers now is the topology's to say (someone may start it).
            var state = $"{promoted.Display} is the primary; {_primary.Display} "
                + (Rejoined ? "rejoined as a standby" : "was left down (not rejoined)");
            if (_notes.Count > 0) state += "; " + string.Join("; ", _notes);
            var start = plan.Mode == FailoverMode.Switchover ? "the stop request" : "the fault";
            var end = new DrillEnd(plan, run.RunId, run.Clock, run.Timeline, run.Writes, run.Reads, Fault, _primary, promoted, Before,
                options, start)
            {
                Final = _finalPrimary,
            };
            return await FailoverFigures.ResultAsync(end, state, followers: true, leftDown: !Rejoined, cancellationToken);
        }
    }
}
