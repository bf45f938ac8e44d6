using System.Text.Json.Serialization;
using DrTools.Core.Cluster;
using DrTools.Core.Postgres;
using DrTools.Core.Probes;
using Npgsql;

namespace DrTools.Core.Replication;

public static class ReplicationLagTester
{
    private static readonly TimeSpan HeartbeatPoll = TimeSpan.FromMilliseconds(5);

    private sealed class StandbySamples(MemberStatus standby, Session session)
    {
        public MemberStatus Standby { get; } = standby;
        public Session Session { get; } = session;
        public List<double> Bytes { get; } = [];
        public List<double> ReplaySeconds { get; } = [];
        public List<double> HeartbeatSeconds { get; } = [];
        /// <summary>The heartbeat samples whose row was not seen within the wait: the time waited, the lag longer.</summary>
        public List<double> HeartbeatNotSeen { get; } = [];
        /// <summary>Why the worst sample whose replay lag was timed, not read, was timed; null while none was.</summary>
        public string? Timed { get; set; }
    }

    public static async Task<IReadOnlyList<ReplicationLagResult>> MeasureAsync(DbTarget target, ReplicationLagOptions options,
        CancellationToken cancellationToken)
    {
        options.CheckWindow();
        return await MeasureAsync(target, await ClusterInspector.GetStatusAsync(target, cancellationToken), options, cancellationToken);
    }

    /// <summary>The lag of the standbys <paramref name="status"/> found, read just now.</summary>
    internal static async Task<IReadOnlyList<ReplicationLagResult>> MeasureAsync(DbTarget target, ClusterStatus status,
        ReplicationLagOptions options, CancellationToken cancellationToken)
    {
        var primaryStatus = status.Primary
            ?? throw new DrToolsException($"{target.Name}: cannot measure lag without exactly one primary: {status.Verdict}",
            DrErrorKind.InvalidOperation);
        status.PrimaryForLag(target.Name);
        var standbys = status.Standbys.ToList();
        if (standbys.Count == 0) throw new DrToolsException($"{target.Name}: no standby to measure lag for.", DrErrorKind.InvalidOperation);

        var clock = new MonotonicClock();
        // A replay lag timed, not read, is timed up to the time bound (held against it, or shown beside the heartbeat's):
        // past it the bound is not met, however long the rest would take.
        var catchUpCap = options.MaxLag ?? Redis.RedisCluster.CatchUpTimeout;
        var primaryMember = target.Member(primaryStatus.Name);
        await using var primary = await Session.OpenAsync(target.Name, primaryMember, cancellationToken);
        var samples = new List<StandbySamples>();
        // Samples that took longer than the interval: the window then has a gap no sample covers, said in every figure.
        var overran = new List<TimeSpan>();
        try
        {
            foreach (var standby in standbys)
            {
                var member = target.Member(standby.Name);
                samples.Add(new StandbySamples(standby, await Session.OpenAsync(target.Name, member, cancellationToken)));
            }
            var heartbeat = options.Heartbeat ? await Heartbeat.StartAsync(primary, cancellationToken) : null;
            try
            {
                var end = options.Duration ?? TimeSpan.Zero;
                while (true)
                {
                    var sampleStarted = clock.Elapsed;
                    foreach (var standby in samples)
                    {
                        await SamplePositionsAsync(target.Name, primary, standby, catchUpCap, cancellationToken);
                    }
                    if (heartbeat is not null) await heartbeat.SampleAsync(samples, options.HeartbeatWait, cancellationToken);
                    if (end > TimeSpan.Zero) options.Progress.Enter($"sample {samples[0].Bytes.Count} at "
                        + $"+{DurationText.Format(clock.Elapsed)}", (int)(100 * clock.Elapsed.TotalSeconds / end.TotalSeconds));
                    if (end > TimeSpan.Zero && clock.Elapsed - sampleStarted > options.Interval) overran.Add(clock.Elapsed - sampleStarted);
                    var next = sampleStarted + options.Interval;
                    if (next > end) break;
                    var wait = next - clock.Elapsed;
                    if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellationToken);
                }
            }
            finally
            {
                if (heartbeat is not null) await heartbeat.DisposeAsync();
            }
        }
        finally
        {
            foreach (var standby in samples) await standby.Session.DisposeAsync();
        }

        var window = clock.Elapsed;
        var every = options.Duration is null ? "one sample"
            : $"{samples[0].Bytes.Count} samples every {DurationText.Format(options.Interval)} over {DurationText.Format(window)}";
        if (overran.Count > 0)
        {
            every += $" ({overran.Count} took longer than the interval, the longest {DurationText.Format(overran.Max())})";
        }
        return samples.Select(s => new ReplicationLagResult(s.Standby.Display, primaryStatus.Display, clock.StartedAt, window,
            Figure("lag", s.Bytes, "bytes", options.MaxLagBytes,
                "primary pg_current_wal_lsn() minus standby pg_last_wal_replay_lsn(), the standby "
                + $"read first (a standby beyond the primary is diverged, not measured); {every}"),
            Figure("replay lag", s.ReplaySeconds, "s", options.Heartbeat ? null : options.MaxLag?.TotalSeconds,
                "pg_stat_replication.replay_lag as the primary reports it (NULL while the standby is idle and caught up counts as 0); "
                + "a standby behind whose replay_lag is NULL or older than its last reply (reply_time) is timed instead: from the "
                + "primary's pg_current_wal_lsn() until the standby's pg_last_wal_replay_lsn() reaches it, polled every "
                + $"{DurationText.Format(HeartbeatPoll)}, not reached within {DurationText.Format(catchUpCap)} counting as longer"
                + $"{(s.Timed is { } timed ? $" ({timed})" : "")}; {every}", catchUpCap.TotalSeconds),
            options.Heartbeat
                ? Figure("heartbeat lag", s.HeartbeatSeconds, "s", options.MaxLag?.TotalSeconds,
                    $"a heartbeat row committed on the primary, then polled on the standby every {DurationText.Format(HeartbeatPoll)}: "
                    + "time from the primary's commit acknowledgement to the row being visible on the standby, on one monotonic "
                    + $"client clock (resolution ±{DurationText.Format(HeartbeatPoll)} plus one round trip), not seen within "
                    + $"{DurationText.Format(options.HeartbeatWait)} counting as longer; {every}")
                    with { MoreThan = s.HeartbeatNotSeen.Contains(s.HeartbeatSeconds.Max()) }
                : null)).ToList();
    }

    /// <param name="gaveUpPast">A wait that gave up returns more than this: the figure is then "more than" its maximum.</param>
    internal static Measurement Figure(string name, List<double> values, string unit, double? target, string method,
        double? gaveUpPast = null) =>
        new(name, values.Max(), unit, target, method)
        {
            P95 = Measurement.Percentile(values, 95),
            Samples = values.Count,
            MoreThan = values.Max() > gaveUpPast,
        };

    private static async Task SamplePositionsAsync(string store, Session primary, StandbySamples standby, TimeSpan catchUpCap,
        CancellationToken cancellationToken)
    {
        var onStandby = await StandbyPositionAsync(standby, cancellationToken);
        var clock = new MonotonicClock();
        var (current, replayLag, replyAge) = await primary.RunAsync(async connection =>
        {
            await using var onPrimary = new NpgsqlCommand(
                "select pg_current_wal_lsn()::text, r.replay_lag, r.reply_age from (select 1) one left join lateral"
                + " (select extract(epoch from replay_lag)::float8 as replay_lag,"
                + " extract(epoch from now() - reply_time)::float8 as reply_age"
                + " from pg_stat_replication where application_name = @name limit 1) r on true", connection);
            onPrimary.Parameters.AddWithValue("name", standby.Standby.ApplicationName ?? standby.Standby.Name);
            await using var reader = await onPrimary.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return (Lsn.Parse(reader.GetString(0)), reader.IsDBNull(1) ? (double?)null : reader.GetDouble(1),
                reader.IsDBNull(2) ? (double?)null : reader.GetDouble(2));
        }, cancellationToken);
        if (onStandby.Replayed > current)
        {
            throw new DrToolsException($"lag of {store} cannot be measured: {standby.Standby.Display} replayed to "
                + $"{onStandby.Replayed}, beyond the primary's {current} read after it: it is ahead of the primary: diverged",
                DrErrorKind.InvalidOperation);
        }
        var bytes = current.BytesAfter(onStandby.Replayed);
        var seconds = replayLag ?? 0;
        // replay_lag NULL means caught up only when nothing is behind, and a lag the standby last reported before it went
        // silent says nothing of now: both are timed until the standby replays what the primary has.
        if (bytes > 0 && (replayLag is null || replyAge is null || replyAge > replayLag))
        {
            var timed = await CatchUpAsync(standby, current, clock, catchUpCap, cancellationToken);
            seconds = Math.Max(seconds, timed);
            if (standby.Timed is null || seconds >= standby.ReplaySeconds.DefaultIfEmpty(0).Max())
            {
                standby.Timed = $"timed {Seconds(timed)}: {bytes} bytes behind, replay_lag {Seconds(replayLag)}, "
                    + $"last reply {Seconds(replyAge)} ago, received to {onStandby.Received?.ToString() ?? "nothing"}, "
                    + $"last transaction replayed {Seconds(onStandby.ReplayAge)} ago";
            }
        }
        standby.Bytes.Add(bytes);
        standby.ReplaySeconds.Add(seconds);
    }

    private static string Seconds(double? seconds) => seconds is { } s ? DurationText.Format(TimeSpan.FromSeconds(s)) : "NULL";

    private sealed record StandbyPosition(Lsn Replayed, Lsn? Received, double? ReplayAge);

    private static Task<StandbyPosition> StandbyPositionAsync(StandbySamples standby, CancellationToken cancellationToken) =>
        standby.Session.RunAsync(async connection =>
        {
            await using var query = new NpgsqlCommand("select pg_last_wal_replay_lsn()::text, pg_last_wal_receive_lsn()::text,"
                + " extract(epoch from now() - pg_last_xact_replay_timestamp())::float8", connection);
            await using var reader = await query.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return new StandbyPosition(Lsn.Parse(reader.GetString(0)), reader.IsDBNull(1) ? null : Lsn.Parse(reader.GetString(1)),
                reader.IsDBNull(2) ? null : reader.GetDouble(2));
        }, cancellationToken);

    /// <summary>
    /// Seconds from <paramref name="clock"/>'s start (just before the primary's position was read) until the standby
    /// replays <paramref name="position"/>; past <paramref name="cap"/> it stops, returning more than the cap.
    /// </summary>
    private static async Task<double> CatchUpAsync(StandbySamples standby, Lsn position, MonotonicClock clock, TimeSpan cap,
        CancellationToken cancellationToken)
    {
        while (true)
        {
            var replayed = (await StandbyPositionAsync(standby, cancellationToken)).Replayed;
            var elapsed = clock.Elapsed;
            if (replayed >= position || elapsed > cap) return elapsed.TotalSeconds;
            await Task.Delay(HeartbeatPoll, cancellationToken);
        }
    }

    /// <summary>
    /// The connection to one member, each query on it bounded by the member's connect timeout: a member frozen
    /// mid-measurement (its connections open, nothing answering) ends the measurement naming it, as one that cannot be
    /// reached at all does, instead of a sample waiting for it as long as it is frozen.
    /// </summary>
    private sealed class Session(string target, DbMember member, NpgsqlConnection connection) : IAsyncDisposable
    {
        private bool _cutOff;

        public DbMember Member { get; } = member;

        /// <summary>A member frozen or gone since the status was read fails the measurement as one frozen mid-way does.</summary>
        public static async Task<Session> OpenAsync(string target, DbMember member, CancellationToken cancellationToken)
        {
            try
            {
                return new Session(target, member, await member.OpenAsync(cancellationToken));
            }
            catch (MemberException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new DrToolsException($"lag of {target} cannot be measured: {member.Display} is unreachable: {e.Reason}", e.Kind, e);
            }
        }

        public async Task<T> RunAsync<T>(Func<NpgsqlConnection, Task<T>> query, CancellationToken cancellationToken)
        {
            try
            {
                return await Bounded.WithinAsync(query(connection), Member.ConnectTimeout, cancellationToken, async _ =>
                {
                    await connection.DisposeAsync();
                });
            }
            catch (Exception e) when (e is NpgsqlException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // A query cut off is still running: the connection is the background call's to close once it ends.
                _cutOff = e is OperationCanceledException;
                var reason = Member.Describe(e).Reason;
                throw new DrToolsException($"lag of {target} cannot be measured: {Member.Display} is unreachable: {reason}",
                    DrErrorKind.ConnectionFailed, e);
            }
        }

        /// <summary>
        /// A write of this run's own (<paramref name="what"/>): one that fails is the server's error, not the member
        /// unreachable, and one cut off at the timeout says what the commit waits for.
        /// </summary>
        public async Task<T> WriteAsync<T>(string what, Func<NpgsqlConnection, Task<T>> write, CancellationToken cancellationToken)
        {
            var pid = connection.ProcessID;
            try
            {
                return await RunAsync(write, cancellationToken);
            }
            catch (DrToolsException e) when (e.InnerException is OperationCanceledException or PostgresException)
            {
                string outcome;
                if (e.InnerException is PostgresException server) outcome = $"failed: {Member.Describe(server).Reason}";
                else if (await StalledWrite.ReasonAsync(Member, pid, cancellationToken) is { } why)
                {
                    outcome = $"did not commit within {DurationText.Format(Member.ConnectTimeout)}: {why}";
                }
                else throw; // a new session gets no answer either: the member is unreachable (frozen, say), as said
                var kind = e.InnerException is PostgresException ? DrErrorKind.InvalidOperation : DrErrorKind.Timeout;
                throw new DrToolsException($"lag of {target} cannot be measured: the {what} on {Member.Display} {outcome}", kind,
                    e.InnerException);
            }
        }

        public bool IsOpen => !_cutOff && connection.State == System.Data.ConnectionState.Open;

        public ValueTask DisposeAsync() => _cutOff ? ValueTask.CompletedTask : connection.DisposeAsync();
    }

    /// <summary>
    /// A row of drtools_heartbeat owned by this run (its own id, so concurrent checks never wait on each other's writes),
    /// deleted when the run ends.
    /// </summary>
    private sealed class Heartbeat(Session primary, Guid id) : IAsyncDisposable
    {
        private long _sequence;

        public static async Task<Heartbeat> StartAsync(Session primary, CancellationToken cancellationToken)
        {
            await primary.WriteAsync("heartbeat table's creation", async connection =>
            {
                await using var create = new NpgsqlCommand(
                    "create table if not exists drtools_heartbeat"
                    + " (id uuid primary key, seq bigint not null, written_at timestamptz not null)",
                    connection);
                return await create.ExecuteNonQueryAsync(cancellationToken);
            }, cancellationToken);
            return new Heartbeat(primary, Guid.NewGuid());
        }

        public async Task SampleAsync(IReadOnlyList<StandbySamples> standbys, TimeSpan timeout, CancellationToken cancellationToken)
        {
            var sequence = ++_sequence;
            var clock = new MonotonicClock();
            await primary.WriteAsync("heartbeat write", async connection =>
            {
                await using var write = new NpgsqlCommand("insert into drtools_heartbeat values (@id, @seq, now())"
                    + " on conflict (id) do update set seq = excluded.seq, written_at = excluded.written_at", connection);
                write.Parameters.AddWithValue("id", id);
                write.Parameters.AddWithValue("seq", sequence);
                return await write.ExecuteNonQueryAsync(cancellationToken);
            }, cancellationToken);
            var acknowledged = clock.Elapsed;
            await Task.WhenAll(standbys.Select(async standby =>
            {
                var (at, seen) = await WaitUntilVisibleAsync(standby.Session, sequence, clock, acknowledged + timeout, cancellationToken);
                standby.HeartbeatSeconds.Add((at - acknowledged).TotalSeconds);
                if (!seen) standby.HeartbeatNotSeen.Add((at - acknowledged).TotalSeconds);
            }));
        }

        /// <returns>When the row was seen, or when the wait gave up at <paramref name="deadline"/> (Seen false).</returns>
        private async Task<(TimeSpan At, bool Seen)> WaitUntilVisibleAsync(Session standby, long sequence, MonotonicClock clock,
            TimeSpan deadline,
            CancellationToken cancellationToken)
        {
            while (true)
            {
                // Each read on its own is bounded by the connect timeout: a row slow to arrive is lag, a read unanswered is not.
                var seq = await standby.RunAsync(async connection =>
                {
                    await using var read = new NpgsqlCommand("select seq from drtools_heartbeat where id = @id", connection);
                    read.Parameters.AddWithValue("id", id);
                    try
                    {
                        return await read.ExecuteScalarAsync(cancellationToken);
                    }
                    catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
                    {
                        return null; // the table was just created and its creation has not been replayed here yet
                    }
                }, cancellationToken);
                var now = clock.Elapsed;
                if (seq is long seen && seen >= sequence) return (now, true);
                if (now >= deadline) return (now, false);
                await Task.Delay(HeartbeatPoll, cancellationToken);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!primary.IsOpen) return;
            try
            {
                await primary.RunAsync(async connection =>
                {
                    await using var delete = new NpgsqlCommand("delete from drtools_heartbeat where id = @id", connection);
                    delete.Parameters.AddWithValue("id", id);
                    return await delete.ExecuteNonQueryAsync(CancellationToken.None);
                }, CancellationToken.None);
            }
            catch (DrToolsException)
            {
                // The row is harmless and the error that broke the connection is the one worth reporting.
            }
        }
    }
}
