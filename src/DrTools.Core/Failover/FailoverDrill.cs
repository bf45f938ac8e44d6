using DrTools.Core.Cluster;
using DrTools.Core.Integrity;
using DrTools.Core.Postgres;
using DrTools.Core.Probes;
using System.Diagnostics;
using Npgsql;

namespace DrTools.Core.Failover;

/// <summary>
/// Switchover and failover drills with write and read probes running throughout, so that unavailability and data loss
/// are what a client observed, on one monotonic clock. Plan first (read-only), then run.
/// </summary>
public static partial class FailoverDrill
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(2);

    public static async Task<FailoverPlan> PlanAsync(DbTarget target, IMemberControl control, FailoverOptions options,
        CancellationToken cancellationToken)
    {
        target.DemandDrillAllowed(options.Mode.ToString().ToLowerInvariant());
        var status = await ClusterInspector.GetStatusAsync(target, cancellationToken);
        var primary = status.PrimaryFor(options.Mode);
        var standbys = status.Standbys.ToList();
        var promotable = status.Promotable.ToList();

        MemberStatus? candidate = null;
        if (options.Candidate is { } chosen)
        {
            candidate = status.ChosenCandidate(chosen);
        }
        else if (promotable.Count == 0)
        {
            throw DrToolsException.Refused($"{options.Mode} of {target.Name} refused: no reachable standby to promote ({status.Verdict})");
        }
        else if (options.Mode == FailoverMode.Switchover)
        {
            candidate = promotable.Where(s => s.ReplicationState == "streaming").MaxBy(s => Lsn.ParseOrNull(s.ReplayedLsn)?.Value ?? 0)
                ?? throw new DrToolsException($"switchover of {target.Name} refused: no standby is streaming ({status.Verdict}). Nothing "
                    + $"was changed.", DrErrorKind.InvalidOperation);
        }

        var primaryMember = target.Member(primary.Name);
        var rejoin = options.Mode == FailoverMode.Switchover || options.Rejoin;
        var steps = new List<string>
        {
            $"start a write probe ({options.WriteProbe.Rate}/s inserts into {Probe.Table}) and a read probe ({options.ReadProbe.Rate}/s) "
                + $"through the application's connection path",
        };
        if (options.CheckIntegrity && options.Mode == FailoverMode.Failover) steps.Add("checksum the tables in scope on the primary");
        if (options.Mode == FailoverMode.Switchover)
        {
            steps.Add($"check {candidate!.Display} is streaming and at most {options.MaxCatchUpBytes} bytes behind");
            steps.Add($"stop {primary.Display} cleanly (fast shutdown) and wait until {candidate.Display} has replayed its shutdown "
                + $"checkpoint");
            if (options.CheckIntegrity) steps.Add($"pin a checksum snapshot on {candidate.Display}: the old primary's final state");
        }
        else
        {
            steps.Add($"inject the fault: {control.FaultDescription(primaryMember)}");
            var settled = $"once it has lost its WAL sender, or, with the primary unreachable, its received WAL position has not moved for "
                + $"{DurationText.Format(options.ReceiveSettle)}";
            steps.Add(candidate is null ? $"choose the most advanced standby by replayed LSN, each {settled}"
                : $"promote the chosen {candidate.Display} once it has replayed what it received, {settled}");
        }
        steps.AddRange(status.NeverPromotedSteps);
        steps.Add($"promote {candidate?.Display ?? "it"} (pg_promote, then poll pg_is_in_recovery() every {DurationText.Format(Poll)})");
        if (standbys.Count > 1) steps.Add("point the other standbys at the new primary");
        steps.Add(rejoin ? $"rejoin {primary.Display} as a standby of the new primary (pg_rewind when needed)"
            : $"leave {primary.Display} down (no rejoin requested)");
        steps.Add(PostgresSettling.Step);
        steps.Add("measure write unavailability, read reconnection and lost acknowledged writes from the probes; compare checksums; read "
            + "the topology");
        return new FailoverPlan(target, options.Mode, primary.Name, candidate?.Name, steps, status);
    }

    public static async Task<FailoverResult> RunAsync(FailoverPlan plan, IMemberControl control, FailoverOptions options,
        CancellationToken cancellationToken)
    {
        var target = plan.Postgres;
        var primary = target.Member(plan.Primary);
        await using var run = new FailoverRun(options);
        var sync = await SyncReplication.CaptureAsync(primary, plan.Before.Standbys.Select(s => target.Member(s.Name)).ToList(),
            cancellationToken);
        await Probe.PrepareAsync(primary, cancellationToken);
        var before = options.CheckIntegrity && plan.Mode == FailoverMode.Failover ? await DbChecksums.TakeAsync(primary,
            options.IntegrityTables, cancellationToken) : null;
        // Every connection the outage window needs is opened now: a SCRAM login costs tens of milliseconds.
        var sessions = await OpenSessionsAsync(plan, cancellationToken);
        await using var pinned = options.CheckIntegrity && plan.Mode == FailoverMode.Switchover
            ? await DbChecksums.ConnectAsync(target.Member(plan.Candidate!), options.IntegrityTables, cancellationToken)
            : null;
        run.StartProbes(kind => Probe.Start(kind, run.RunId, target, options.Probe(kind), run.Clock));
        await using var roles = PostgresSettling.Start(target, run.Clock);
        var phases = new Phases(plan, control, options, run, sync, roles) { Before = before };
        Session? promoted = null;
        try
        {
            await run.BaselineAsync(null, cancellationToken);
            var candidate = plan.Mode == FailoverMode.Switchover
                ? await phases.StopPrimaryAsync(sessions.Single(), pinned, cancellationToken)
                : await phases.FailPrimaryAsync(sessions, cancellationToken);
            var followers = await phases.PromoteAsync(candidate, pinned, cancellationToken);
            promoted = candidate;
            if (plan.Mode == FailoverMode.Switchover || options.Rejoin)
            {
                await phases.RejoinAsync(candidate.Member, followers, cancellationToken);
            }
            await phases.SettleAsync(candidate.Member, followers, cancellationToken);
        }
        catch (Exception e)
        {
            var acknowledged = await run.StopProbesAsync();
            throw await run.FailedAsync(await DescribeFailureAsync(e, plan, control, primary, phases.PrimaryDown,
                phases.PromotionRequested, run.Phase, acknowledged));
        }
        finally
        {
            foreach (var session in sessions) await session.DisposeAsync();
        }
        var result = await run.MeasureAsync(() => phases.ResultAsync(promoted.Member, cancellationToken));
        return roles.WithSplitBrain(result.WithDiscarded(phases.Discarded, options.RpoTarget));
    }

    /// <summary>A connection to a standby opened before the fault, used for catch-up, choice and promotion.</summary>
    private sealed class Session(DbMember member, NpgsqlConnection connection) : IAsyncDisposable
    {
        public DbMember Member { get; } = member;

        public async Task<T> ReadAsync<T>(string sql, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
        {
            try
            {
                return await connection.ReadFirstAsync(sql, read, cancellationToken);
            }
            catch (NpgsqlException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw Member.Describe(e);
            }
        }

        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }

    /// <summary>Sessions to the standbys that may be promoted: the candidate when there is one, else every reachable standby.</summary>
    private static async Task<List<Session>> OpenSessionsAsync(FailoverPlan plan, CancellationToken cancellationToken)
    {
        var names = plan.Candidate is { } chosen ? [chosen] : plan.Before.Promotable.Select(s => s.Name).ToList();
        var sessions = new List<Session>();
        try
        {
            foreach (var name in names)
            {
                var member = plan.Postgres.Member(name);
                sessions.Add(new Session(member, await member.OpenAsync(cancellationToken)));
            }
            return sessions;
        }
        catch
        {
            foreach (var session in sessions) await session.DisposeAsync();
            throw;
        }
    }

    private static async Task CheckCaughtUpAsync(DbMember primary, Session candidate, long maxBytes, CancellationToken cancellationToken)
    {
        var (receiver,
            replayed) = await candidate.ReadAsync("select (select status from pg_stat_wal_receiver), pg_last_wal_replay_lsn()::text",
            r => (r.IsDBNull(0) ? null : r.GetString(0), Lsn.Parse(r.GetString(1))), cancellationToken);
        var current = await primary.QueryAsync("select pg_current_wal_lsn()::text", r => Lsn.Parse(r.GetString(0)), cancellationToken);
        if (receiver != "streaming" || current.BytesAfter(replayed) > maxBytes)
        {
            throw new DrToolsException($"switchover refused: {candidate.Member.Display} is not caught up (WAL receiver "
                + $"{receiver ?? "not running"}, {current.BytesAfter(replayed)} bytes behind, at most {maxBytes} allowed). Nothing was "
                + $"changed.", DrErrorKind.InvalidOperation);
        }
    }

    /// <summary>Waits until the standby has replayed past the stopped primary's last record (or, when that is unknown, everything it
    /// received).</summary>
    private static async Task<Lsn> WaitForFinalReplayAsync(Session standby, Lsn? final, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var replayed = default(Lsn);
        await Polling.RequireAsync(async () =>
        {
            var (receiving, received,
                lsn) = await standby.ReadAsync("select coalesce((select status from pg_stat_wal_receiver), '') = 'streaming', "
                + "coalesce(pg_last_wal_receive_lsn(), '0/0')::text, pg_last_wal_replay_lsn()::text",
                r => (r.GetBoolean(0), Lsn.Parse(r.GetString(1)), Lsn.Parse(r.GetString(2))), cancellationToken);
            replayed = lsn;
            return final is { } end ? replayed > end : !receiving && replayed >= received;
        }, timeout, Poll,
            ()
                => $"{standby.Member.Display} did not replay the old primary's "
                + $"WAL{(final is null ? "" : $" up to its shutdown checkpoint {final}")} within {DurationText.Format(timeout)} (replayed "
                + $"to {replayed}).",
            cancellationToken);
        return replayed;
    }

    /// <summary>
    /// After the fault: waits until each standby has replayed what it received and will receive no more, then picks the
    /// most advanced by replayed LSN (the user's choice is the only session when there is one). No more comes when its
    /// WAL sender is gone, or when the primary cannot be reached and the received position has not moved for the
    /// settle time: a vanished host never closes its connections, and the WAL receiver would notice only after
    /// wal_receiver_timeout (60 s by default).
    /// </summary>
    private static async Task<(Session Session, Lsn Replayed, string How)> ChooseStandbyAsync(IReadOnlyList<Session> sessions,
        DbMember primary, bool chosenByUser, FailoverOptions options, CancellationToken cancellationToken)
    {
        using var stopWatching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var primaryGone = new PrimaryWatch(primary);
        var watching = primaryGone.WatchAsync(stopWatching.Token);
        try
        {
            var positions = await Task.WhenAll(sessions.Select(async session =>
            {
                try
                {
                    var (replayed, how) = await WaitForLastReceivedAsync(session, primaryGone, options.ReceiveSettle, options.PhaseTimeout,
                        cancellationToken);
                    return (Session: session, Replayed: (Lsn?)replayed, How: how);
                }
                catch (MemberException) when (!chosenByUser)
                {
                    return (Session: session, Replayed: null, How: ""); // a standby that went away is simply not a candidate
                }
            }));
            var reachable = positions.Where(p => p.Replayed is not null).ToList();
            if (reachable.Count == 0) throw new DrToolsException("no standby could be reached to promote.", DrErrorKind.InvalidOperation);
            var best = reachable.MaxBy(p => p.Replayed!.Value.Value);
            return (best.Session, best.Replayed!.Value, best.How);
        }
        finally
        {
            Stopping.Stop(stopWatching);
            await watching;
        }
    }

    private static async Task<(Lsn Replayed, string How)> WaitForLastReceivedAsync(Session standby, PrimaryWatch primaryGone,
        TimeSpan settle, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var replayed = default(Lsn);
        var lastReceived = default(Lsn);
        var (receivedSince, replayedSince) = (Stopwatch.GetTimestamp(), Stopwatch.GetTimestamp());
        var how = "";
        await Polling.RequireAsync(async () =>
        {
            var (receiving, received,
                lsn) = await standby.ReadAsync("select coalesce((select status from pg_stat_wal_receiver), '') = 'streaming', "
                + "coalesce(pg_last_wal_receive_lsn(), '0/0')::text, pg_last_wal_replay_lsn()::text",
                r => (r.GetBoolean(0), Lsn.Parse(r.GetString(1)), Lsn.Parse(r.GetString(2))), cancellationToken);
            if (lsn != replayed) (replayed, replayedSince) = (lsn, Stopwatch.GetTimestamp());
            if (received != lastReceived)
            {
                (lastReceived, receivedSince) = (received, Stopwatch.GetTimestamp());
            }
            if (replayed < received)
            {
                // A primary that died while a record was being written leaves its start received and its end never sent:
                // replay stops at the record before it for good (a promotion ends recovery there too).
                var still = Math.Max(receivedSince, replayedSince);
                long? from = !receiving ? still : primaryGone.Since is { } lost ? Math.Max(still, lost) : null;
                if (from is null || Stopwatch.GetElapsedTime(from.Value) < settle) return false;
                how = $"replayed to {replayed}; what it received after that, up to {received}, is the start of a record the primary "
                    + $"did not finish sending: neither moved for {DurationText.Format(settle)} after "
                    + (receiving ? $"{primaryGone.Primary.Display} was unreachable" : "its WAL receiver stopped");
                return true;
            }
            if (!receiving)
            {
                how = "its WAL receiver had stopped";
                return true;
            }
            // Stable since the later of its last change and the moment the primary was found unreachable.
            if (primaryGone.Since is not { } gone || Stopwatch.GetElapsedTime(Math.Max(receivedSince, gone)) < settle) return false;
            how = $"its WAL receiver still reported streaming; decided because {primaryGone.Primary.Display} was unreachable and the "
                + $"received WAL position had not moved for {DurationText.Format(settle)}";
            return true;
        }, timeout, Poll,
            ()
                => $"{standby.Member.Display} did not stop receiving WAL within {DurationText.Format(timeout)} (replayed to {replayed}, "
                + $"received {lastReceived}; {primaryGone.Describe()}).",
            cancellationToken);
        return (replayed, how);
    }

    private static async Task PromoteAsync(Session candidate, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // pg_promote(wait => true) polls every 100 ms; a promotion takes ~20 ms, so poll pg_is_in_recovery() ourselves.
        await candidate.ReadAsync("select pg_promote(wait => false)", r => r.GetBoolean(0), cancellationToken);
        await Polling.RequireAsync(async () => !await candidate.ReadAsync("select pg_is_in_recovery()", r => r.GetBoolean(0),
            cancellationToken), timeout, Poll,
            () => $"{candidate.Member.Display} was asked to promote but was still in recovery after {DurationText.Format(timeout)}.",
            cancellationToken);
    }

    /// <summary>
    /// The drill failed or was cancelled part-way: put the cluster back as close to how it was found as possible
    /// (restart a primary that was stopped or killed when no promotion was asked for) and say where it stands.
    /// </summary>
    private static readonly TimeSpan PromotionSettleTimeout = TimeSpan.FromSeconds(15);

    private static async Task<Exception> DescribeFailureAsync(Exception error, FailoverPlan plan, IMemberControl control, DbMember primary,
        bool primaryDown, DbMember? promotionRequested, string phase, int acknowledged)
    {
        var recovery = "";
        var status = await ClusterInspector.GetStatusAsync(plan.Postgres, CancellationToken.None);
        // pg_promote may have been sent: the standby may be primary now or a moment later, and a restarted old primary
        // would make two. Only a candidate still a standby well after a promotion takes was never asked: ~20 ms idle, but a
        // startup process between retries sleeps up to wal_retrieve_retry_interval (5 s) first, and a loaded machine adds.
        var promoting = primaryDown && promotionRequested is not null && await Polling.UntilAsync(
            async () => (status = await ClusterInspector.GetStatusAsync(plan.Postgres, CancellationToken.None)).Members
                .Any(m => m.Name == promotionRequested.Name && m.Role == MemberRole.Primary),
            PromotionSettleTimeout, TimeSpan.FromMilliseconds(50), CancellationToken.None);
        var oldServes = status.Members.Any(m => m.Name == primary.Name && m.Role == MemberRole.Primary);
        if (promoting && oldServes)
        {
            recovery = $" The old primary {primary.Display} accepts writes again beside the promoted {promotionRequested!.Display}"
                + " (DrTools did not restart it): fence one of them.";
        }
        else if (promoting)
        {
            recovery = $" The old primary {primary.Display} was left down: {promotionRequested!.Display} was promoted, and restarting the "
                + $"old primary would make two primaries.";
        }
        else if (primaryDown && RejoinGuard.OtherWriters(status, primary.Name) is { Count: > 0 } writers)
        {
            recovery = RejoinGuard.LeftDown(primary.Display, writers);
        }
        // The fault or stop may have failed before it took effect: a primary that still serves needs no restart.
        else if (primaryDown && status.Primary?.Name == primary.Name)
        {
            recovery = $" The old primary {primary.Display} was not stopped: it still accepts writes.";
        }
        else if (primaryDown)
        {
            try
            {
                recovery = await control.RestartAsync(primary, CancellationToken.None)
                    ? $" The old primary {primary.Display} was restarted."
                    : $" The old primary {primary.Display} is down and DrTools cannot restart it.";
            }
            catch (DrToolsException restart)
            {
                recovery = $" Restarting the old primary failed: {restart.Message}";
            }
            status = await ClusterInspector.GetStatusAsync(plan.Postgres, CancellationToken.None);
        }
        var where = $"{recovery} Cluster now: {status.Verdict}";
        if (error is OperationCanceledException) return new OperationCanceledException($"{plan.Mode} drill cancelled during "
            + $"{phase}.{where}", error);
        var reason = error is DrToolsException known ? known.Message : error.Message;
        return new DrToolsException($"{plan.Mode} drill failed during {phase}: {reason}{where} ({acknowledged} probe writes were "
            + $"acknowledged.)", DrErrorKind.InvalidOperation, error);
    }
}
