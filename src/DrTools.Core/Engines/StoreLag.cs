using DrTools.Core.Replication;

namespace DrTools.Core.Engines;

/// <summary>Replication lag of a MariaDB or Redis cluster, sampled as PostgreSQL's is: each figure the maximum over the window, with its
/// p95.</summary>
public static class StoreLag
{
    public static async Task<IReadOnlyList<ReplicationLagResult>> MeasureAsync(IReplicaSet store, ReplicationLagOptions options,
        CancellationToken cancellationToken)
    {
        options.CheckWindow();
        var clock = new MonotonicClock();
        var behind = new Dictionary<string, List<double>>();
        var seconds = new Dictionary<string, List<double>>();
        var heartbeats = new Dictionary<string, List<double>>();
        var idle = new Dictionary<string, List<double>>();
        // Replicas one of whose heartbeats was not seen within the wait: their heartbeat lag is more than the wait.
        var notSeen = new HashSet<string>();
        var primary = "";
        var end = options.Duration ?? TimeSpan.Zero;
        // A catch-up is timed up to the time bound: past it the bound is not met, however long the rest would take.
        var catchUpLimit = options.MaxLag ?? Redis.RedisCluster.CatchUpTimeout;
        while (true)
        {
            var sampleStarted = clock.Elapsed;
            var samples = await store.SampleLagAsync(catchUpLimit, cancellationToken);
            if (samples.Count == 0) throw new DrToolsException($"{store.Name}: no replica to measure lag for.",
                DrErrorKind.InvalidOperation);
            foreach (var sample in samples)
            {
                primary = sample.Primary;
                Add(behind, sample.Replica, sample.Behind);
                if (sample.Seconds is { } s) Add(seconds, sample.Replica, s);
                if (sample.IdleSeconds is { } quiet) Add(idle, sample.Replica, quiet);
            }
            if (options.Heartbeat)
            {
                foreach (var (replica, arrived) in await store.HeartbeatAsync(options.HeartbeatWait, cancellationToken))
                {
                    Add(heartbeats, replica, (arrived ?? options.HeartbeatWait).TotalSeconds);
                    if (arrived is null) notSeen.Add(replica);
                }
            }
            if (end > TimeSpan.Zero) options.Progress.Enter($"sample at +{DurationText.Format(clock.Elapsed)}",
                (int)(100 * clock.Elapsed.TotalSeconds / end.TotalSeconds));
            var next = sampleStarted + options.Interval;
            if (next > end) break;
            var wait = next - clock.Elapsed;
            if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellationToken);
        }
        var window = clock.Elapsed;
        var every = options.Duration is null ? "one sample"
            : $"{behind.Values.First().Count} samples every {DurationText.Format(options.Interval)} over {DurationText.Format(window)}";
        var method = store.LagMethod(options, catchUpLimit);
        return behind.Keys.Select(replica => new ReplicationLagResult(replica, primary, clock.StartedAt, window,
            ReplicationLagTester.Figure("lag", behind[replica], store.LagUnit, method.BehindTarget, $"{method.Behind}; {every}"),
            seconds.TryGetValue(replica, out var reported)
                ? ReplicationLagTester.Figure("replay lag", reported, "s", options.Heartbeat ? null : options.MaxLag?.TotalSeconds,
                    $"{method.Seconds}; {every}", method.SecondsLimit)
                : new Measurement("replay lag", 0, "s", null,
                    $"not reported by {store.Engine} while the replica is not replicating; {every}"),
            options.Heartbeat
                ? ReplicationLagTester.Figure("heartbeat lag", heartbeats[replica], "s", options.MaxLag?.TotalSeconds,
                    "a heartbeat written on the primary, then polled on the replica: time from the primary's acknowledgement to the "
                    + "value being readable on the replica, on one monotonic client clock, not seen within "
                    + $"{DurationText.Format(options.HeartbeatWait)} counting as longer; {every}")
                    with { MoreThan = notSeen.Contains(replica) && heartbeats[replica].Max() >= options.HeartbeatWait.TotalSeconds }
                : null)
        {
            Engine = store.Engine,
            LinkIdleSeconds = idle.TryGetValue(replica, out var quiet)
                ? ReplicationLagTester.Figure("link idle", quiet, "s", null,
                    $"master_last_io_seconds_ago: seconds since the replica last heard from the primary, data or its ping every "
                    + $"repl-ping-replica-period — how quiet the link is, not lag, held against no threshold; {every}")
                : null,
        }).ToList();
    }

    private static void Add(Dictionary<string, List<double>> values, string key, double value)
    {
        if (!values.TryGetValue(key, out var list)) values[key] = list = [];
        list.Add(value);
    }
}
