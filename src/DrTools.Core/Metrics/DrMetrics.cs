using System.Diagnostics;
using DrTools.Core.Backups;
using DrTools.Core.Cluster;
using DrTools.Core.Postgres;
using DrTools.Core.Replication;
using DrTools.Core.Runbooks;

namespace DrTools.Core.Metrics;

/// <summary>
/// DrTools' metrics, in Prometheus' conventions (drtools_ prefix, base units): per cluster its verdict, members and
/// roles, each standby's lag and the WAL archiver; per backup repository the latest backup's age and the recoverable
/// window; per drill of the history its last result, RTO and RPO against their targets and the time since it last
/// passed. A source that cannot be read says so in its _up metric; the others are still reported.
/// </summary>
public static class DrMetrics
{
    public static async Task<IReadOnlyList<MetricSample>> CollectAsync(MetricSources sources, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var samples = new List<MetricSample>();
        var clusters = await Task.WhenAll(sources.Targets.Select(target => ClusterAsync(target, cancellationToken)));
        foreach (var cluster in clusters) samples.AddRange(cluster);
        foreach (var repository in sources.Repositories) samples.AddRange(await RepositoryAsync(repository, cancellationToken));
        if (sources.History) samples.AddRange(Drills(DrillHistory.Runs(sources.HistoryRoot), DateTimeOffset.UtcNow));
        samples.Add(Gauge("drtools_scrape_duration_seconds", "How long collecting these metrics took.", Labels(),
            Stopwatch.GetElapsedTime(started).TotalSeconds));
        return samples;
    }

    private static MetricSample Gauge(string name, string help, IReadOnlyDictionary<string, string> labels, double value) => new(name,
        MetricType.Gauge, help, labels, value);

    private static MetricSample Counter(string name, string help, IReadOnlyDictionary<string, string> labels, double value) => new(name,
        MetricType.Counter, help, labels, value);

    private static Dictionary<string, string> Labels(params (string Key, string Value)[] labels) => labels.ToDictionary(l => l.Key,
        l => l.Value);

    private static async Task<IReadOnlyList<MetricSample>> ClusterAsync(DbTarget target, CancellationToken cancellationToken)
    {
        var cluster = Labels(("target", target.Name));
        ClusterStatus status;
        try
        {
            status = await ClusterInspector.GetStatusAsync(target, cancellationToken);
        }
        catch (DrToolsException)
        {
            return [Gauge("drtools_cluster_up", "Whether DrTools could read the cluster's state (1) or not (0).", cluster, 0)];
        }
        var samples = new List<MetricSample>
        {
            Gauge("drtools_cluster_up", "Whether DrTools could read the cluster's state (1) or not (0).", cluster, 1),
            Gauge("drtools_cluster_healthy",
                "The cluster's verdict: 1 when every member answers, exactly one is primary and every standby streams.", cluster,
                status.Healthy ? 1 : 0),
        };
        foreach (var member in status.Members)
        {
            var labels = Labels(("target", target.Name), ("member", member.Name));
            samples.Add(Gauge("drtools_member_up", "Whether the member answered (1) or not (0).", labels,
                member.Role == MemberRole.Unreachable ? 0 : 1));
            foreach (var role in new[] { MemberRole.Primary, MemberRole.Standby })
            {
                samples.Add(Gauge("drtools_member_role", "The member's role: 1 for the role it has, 0 for the other.", Labels(("target",
                    target.Name), ("member", member.Name), ("role", role.ToString().ToLowerInvariant())), member.Role == role ? 1 : 0));
            }
        }
        if (status.Primary is null) return samples;
        try
        {
            samples.AddRange(await PrimaryAsync(target, status, cluster, cancellationToken));
        }
        catch (DrToolsException)
        {
            // The cluster changed between the two readings (a standby gone, a failover): its state is reported, the rest at the next
            // scrape.
        }
        return samples;
    }

    /// <summary>Each standby's lag and the archiver, read from the primary <paramref name="status"/> found.</summary>
    private static async Task<IReadOnlyList<MetricSample>> PrimaryAsync(DbTarget target, ClusterStatus status, Dictionary<string,
        string> cluster, CancellationToken cancellationToken)
    {
        var samples = new List<MetricSample>();
        if (status.Standbys.Any() && status.Members.All(m => m.Role != MemberRole.Unreachable))
        {
            // A standby behind whose replay lag the server does not report is timed; a scrape waits for it at most a second.
            var options = new ReplicationLagOptions { MaxLag = TimeSpan.FromSeconds(1) };
            foreach (var lag in await ReplicationLagTester.MeasureAsync(target, status, options, cancellationToken))
            {
                var labels = Labels(("target", target.Name), ("standby", lag.Standby.Split(' ')[0]));
                samples.Add(Gauge("drtools_replication_lag_bytes",
                    "WAL the standby has not replayed yet: the primary's pg_current_wal_lsn() minus the standby's "
                    + "pg_last_wal_replay_lsn().", labels, lag.LagBytes.Measured));
                samples.Add(Gauge("drtools_replication_replay_lag_seconds",
                    "pg_stat_replication.replay_lag as the primary reports it (0 while the standby is idle and caught up); a standby "
                    + "behind whose replay_lag is NULL or stale is timed until it replays the primary's position, for at most 1 s.",
                    labels, lag.ReplayLagSeconds.Measured));
            }
        }
        var archiver = await BackupPolicy.ReadArchiverAsync(target, status, cancellationToken);
        samples.Add(Counter("drtools_wal_archived_total", "WAL files the primary's archiver archived (pg_stat_archiver.archived_count).",
            cluster, archiver.ArchivedCount));
        samples.Add(Counter("drtools_wal_archive_failures_total",
            "Failed attempts of the primary's archiver (pg_stat_archiver.failed_count).", cluster, archiver.FailedCount));
        samples.Add(Gauge("drtools_wal_archiver_failing",
            "1 when the archiver's last attempt failed (its last failure is later than its last success).", cluster, archiver.Failing ? 1
            : 0));
        if (archiver.LastArchivedTime is { } archived)
        {
            samples.Add(Gauge("drtools_wal_last_archived_age_seconds", "Time since the archiver last archived a WAL file.", cluster,
                Math.Max(0, (DateTimeOffset.UtcNow - archived).TotalSeconds)));
        }
        return samples;
    }

    private static async Task<IEnumerable<MetricSample>> RepositoryAsync(string path, CancellationToken cancellationToken)
    {
        var labels = Labels(("repository", Path.GetFullPath(path)));
        BackupRepository repository;
        try
        {
            repository = BackupRepository.Open(path, create: false);
        }
        catch (DrToolsException)
        {
            return [Gauge("drtools_backup_repository_up", "Whether the backup repository could be read (1) or not (0).", labels, 0)];
        }
        var backups = repository.Backups;
        var samples = new List<MetricSample>
        {
            Gauge("drtools_backup_repository_up", "Whether the backup repository could be read (1) or not (0).", labels, 1),
            Gauge("drtools_backups", "Base backups in the repository's catalog.", labels, backups.Count),
        };
        if (backups.Count == 0) return samples;
        samples.Add(Gauge("drtools_backup_latest_age_seconds", "Time since the latest base backup finished.", labels,
            (DateTimeOffset.UtcNow - backups[^1].FinishedAt).TotalSeconds));
        if (backups.All(b => b.Engine is not null)) return samples; // no PostgreSQL backup: no WAL window
        RecoverableWindow window;
        try
        {
            window = await PointInTimeRestore.WindowAsync(repository, cancellationToken);
        }
        catch (DrToolsException e) when (e.Kind == DrErrorKind.InvalidOperation)
        {
            samples.Add(WindowGauge(labels, 0)); // no backup restores from the archive
            return samples;
        }
        samples.Add(WindowGauge(labels, (window.LatestTime - window.EarliestTime).TotalSeconds));
        samples.Add(Gauge("drtools_backup_recoverable_window_end_age_seconds",
            "Time since the latest point a recovery can reach: what a disaster now would lose.", labels, Math.Max(0,
            (DateTimeOffset.UtcNow - window.LatestTime).TotalSeconds)));
        return samples;
    }

    private static MetricSample WindowGauge(IReadOnlyDictionary<string, string> labels, double seconds) =>
        Gauge("drtools_backup_recoverable_window_seconds", "Span of time a point-in-time recovery can reach: the end of the earliest "
            + "backup that restores to the end of the WAL that replays after it (a gap or damage in the archive ends it).", labels,
            seconds);

    /// <summary>Per drill (runbook and target, as Get-DrDrillHistory groups them): its runs and its last one.</summary>
    internal static IEnumerable<MetricSample> Drills(IReadOnlyList<RunJournal> runs, DateTimeOffset now)
    {
        foreach (var drill in runs.Where(r => r.Status != RunStatus.Running).GroupBy(r => (r.Runbook, r.TargetSummary)))
        {
            var ordered = drill.OrderBy(r => r.StartedAt).ToList();
            var last = ordered[^1];
            var labels = Labels(("drill", drill.Key.Runbook), ("target", drill.Key.TargetSummary));
            yield return Counter("drtools_drill_runs_total", "Runs of the drill in the history.", labels, ordered.Count);
            yield return Gauge("drtools_drill_last_passed", "Whether the drill's last run passed (1) or not (0).", labels, last.Passed ? 1
                : 0);
            yield return Gauge("drtools_drill_last_run_timestamp_seconds", "When the drill last ran (its start, Unix time).", labels,
                last.StartedAt.ToUnixTimeMilliseconds() / 1000.0);
            if (ordered.LastOrDefault(r => r.Passed) is { } passed)
            {
                yield return Gauge("drtools_drill_since_last_success_seconds", "Time since the start of the drill's last run that passed.",
                    labels, Math.Max(0, (now - passed.StartedAt).TotalSeconds));
            }
            foreach (var objective in last.Objectives.Where(o => o.Name is "rto" or "rpo"))
            {
                if (objective.Measurement is { } measured) yield return Gauge($"drtools_drill_last_{objective.Name}_seconds",
                    $"The {objective.Name.ToUpperInvariant()} the drill's last run measured.", labels, measured.Measured);
                yield return Gauge($"drtools_drill_{objective.Name}_target_seconds",
                    $"The drill's {objective.Name.ToUpperInvariant()} objective.", labels, objective.Target);
            }
            // A Kubernetes drill's floor: the fewest ready replicas its last run saw, and the fewest it allows.
            if (last.Objectives.FirstOrDefault(o => o.Name == "minReady") is { } floor)
            {
                if (floor.Measurement is { } measured) yield return Gauge("drtools_drill_last_min_ready_replicas",
                    "The fewest ready replicas the drill's last run saw.", labels, measured.Measured);
                yield return Gauge("drtools_drill_min_ready_target_replicas", "The fewest ready replicas the drill allows.", labels,
                    floor.Target);
            }
        }
    }
}
