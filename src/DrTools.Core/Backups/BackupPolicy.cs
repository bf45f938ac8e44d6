using System.Globalization;
using DrTools.Core.Cluster;
using DrTools.Core.Postgres;

namespace DrTools.Core.Backups;

public static class BackupPolicy
{
    public static async Task<BackupPolicyResult> CheckAsync(BackupRepository repository, DbTarget? target, BackupPolicyOptions options,
        CancellationToken cancellationToken)
    {
        var now = options.Now ?? DateTimeOffset.UtcNow;
        var backups = repository.Backups;
        var problems = new List<string>();
        Measurement? age = null;
        if (backups.Count == 0) problems.Add($"repository {repository.Root} holds no backup");
        else
        {
            age = new Measurement("latest backup age", (now - backups[^1].FinishedAt).TotalSeconds, "s", options.MaxBackupAge?.TotalSeconds,
                $"now minus the end of backup {backups[^1].Id}");
            if (age.Met == false) problems.Add($"the latest backup {backups[^1].Id} is {DurationText.Format(now - backups[^1].FinishedAt)} "
                + $"old, more than {DurationText.Format(options.MaxBackupAge!.Value)}");
        }

        foreach (var id in repository.Uncatalogued) problems.Add(BackupRepository.UncataloguedNote(repository.BackupDirectory(id)));

        WalReplayCheck? replay = null;
        IReadOnlyList<string> missing = [];
        // The WAL archive is PostgreSQL's: MariaDB's and Redis' backups name positions of their own (GTIDs, offsets).
        // Every archived segment read along the timeline chain, record by record: the files being there is not enough.
        var passes = await WalReplay.PassesAsync(repository, cancellationToken);
        if (passes.Count > 0)
        {
            missing = WalArchive.Scan(repository, Lsn.Parse(passes[0].From.StartLsn)).MissingSegments;
            // A backup's restore reads a segment of its own WAL where the archive has none.
            var holder = missing.Count == 0 ? default : passes.FirstOrDefault(p => p.Replay.FromBackup.Contains(missing[0]));
            if (missing.Count > 0) problems.Add($"WAL segment {missing[0]} is missing from "
                + $"{repository.WalDirectory}{(missing.Count > 1 ? $" ({missing.Count} segments missing)" : "")}: "
                + (holder.From is { } own ? $"only restores of backup {own.Id}, which holds its own copy, pass it"
                    : "no recovery can pass it"));
            replay = passes[0].Replay;
            // A copy the archiver cut short: recovery refuses it, whether or not a backup's own WAL stands in for it.
            foreach (var segment in WalArchive.Segments(repository).Where(f => f.Length != WalArchive.SegmentSize).OrderBy(f => f.Name))
            {
                problems.Add($"WAL segment {segment.Name} in {repository.WalDirectory} is cut short: {segment.Length} bytes of a "
                    + $"segment's {WalArchive.SegmentSize}");
            }
        }
        foreach (var (from, check) in passes)
        {
            if (check.End < Lsn.Parse(from.EndLsn))
            {
                problems.Add($"backup {from.Id} does not restore from this archive: its WAL replays to {check.End}, not to its end "
                    + $"{from.EndLsn}");
            }
            if (check.Break is { } broken) problems.Add($"WAL replay from backup {from.Id} stops at {check}: {broken}");
            else if (check.Missing is { } gap && !missing.Contains(gap))
            {
                problems.Add($"WAL replay from backup {from.Id} stops at {check}: segment {gap} is not archived, though later "
                    + "segments of its timeline are");
            }
        }

        ArchiverStatus? archiver = null;
        if (target is not null)
        {
            var status = await ClusterInspector.GetStatusAsync(target, cancellationToken);
            archiver = await ReadArchiverAsync(target, status, cancellationToken);
            if (archiver.Failing) problems.Add($"the archiver on {archiver.Member} is failing: last failure on {archiver.LastFailedWal} at "
                + $"{archiver.LastFailedTime:u}, {archiver.FailedCount} failures in all");
            // The archiver's counts are of wherever archive_command puts the WAL: after a rebuild that lost the setting,
            // another archive's, while this repository's window stopped.
            var primary = target.Member(status.Primary!.Name);
            var directory = repository.WalDirectory.Replace("'", "''", StringComparison.Ordinal);
            if (!await primary.QueryAsync("select current_setting('archive_mode') <> 'off' and strpos(current_setting('archive_command'), "
                    + $"'{directory}') > 0", r => r.GetBoolean(0), cancellationToken))
            {
                problems.Add($"the primary {archiver.Member} does not archive its WAL into {repository.WalDirectory} (archive_mode is off "
                    + "or its archive_command names another place), so this repository's window no longer grows: drtools backup "
                    + "archive (Enable-DbWalArchive) sets it");
            }
        }

        var retention = options.Retention is { } policy ? PlanRetention(backups, policy) : [];
        return new BackupPolicyResult
        {
            Passed = problems.Count == 0, Problems = problems, LatestBackupAge = age, Archiver = archiver, MissingWalSegments = missing,
            WalReplay = replay, Retention = retention,
        };
    }

    /// <summary>Which backups a GFS policy keeps, and why; the newest backup is always kept.</summary>
    public static IReadOnlyList<RetentionDecision> PlanRetention(IReadOnlyList<BackupRecord> backups, RetentionPolicy policy)
    {
        var newestFirst = backups.OrderByDescending(b => b.FinishedAt).ToList();
        var reasons = newestFirst.ToDictionary(b => b.Id, _ => new List<string>());
        void Keep(int count, string rule, Func<DateTimeOffset, string> period)
        {
            foreach (var group in newestFirst.GroupBy(b => period(b.FinishedAt.ToUniversalTime())).Take(count))
            {
                reasons[group.First().Id].Add($"{rule} {group.Key}");
            }
        }
        Keep(policy.Daily, "daily", t => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        Keep(policy.Weekly, "weekly", t => $"{ISOWeek.GetYear(t.UtcDateTime)}-W{ISOWeek.GetWeekOfYear(t.UtcDateTime):00}");
        Keep(policy.Monthly, "monthly", t => t.ToString("yyyy-MM", CultureInfo.InvariantCulture));
        if (newestFirst.Count > 0) reasons[newestFirst[0].Id].Add("the newest backup");
        return newestFirst.Select(b => new RetentionDecision(b.Id, b.FinishedAt, reasons[b.Id].Count == 0,
            reasons[b.Id].Count == 0 ? $"expired under '{policy}'" : $"kept: {string.Join(", ", reasons[b.Id])}")).ToList();
    }

    /// <summary>Deletes one backup from the repository and its catalog, then the WAL no remaining backup needs.</summary>
    public static void Remove(BackupRepository repository, string id)
    {
        var directory = repository.BackupDirectory(id);
        repository.Remove(id);
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        var remaining = repository.Backups;
        if (remaining.Count == 0) return;
        var oldestNeeded = remaining.Min(b => Lsn.Parse(b.StartLsn)).Value / (ulong)WalArchive.SegmentSize;
        // Only segments: timeline history files stay, every later recovery may need them.
        foreach (var segment in WalArchive.Segments(repository).Where(f => WalArchive.Position(f.Name) < oldestNeeded)) segment.Delete();
    }

    /// <summary>pg_stat_archiver of the primary <paramref name="status"/> found.</summary>
    internal static async Task<ArchiverStatus> ReadArchiverAsync(DbTarget target, ClusterStatus status, CancellationToken cancellationToken)
    {
        var primary = target.Member((status.Primary
            ?? throw new DrToolsException($"{target.Name}: no primary to read pg_stat_archiver from ({status.Verdict}).",
            DrErrorKind.InvalidOperation)).Name);
        return await primary.QueryAsync("select archived_count, last_archived_wal, last_archived_time, failed_count, last_failed_wal, "
            + "last_failed_time from pg_stat_archiver",
            r => new ArchiverStatus(primary.Display, r.GetInt64(0), r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? null
                : r.GetFieldValue<DateTimeOffset>(2),
                r.GetInt64(3), r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null
                    : r.GetFieldValue<DateTimeOffset>(5)), cancellationToken);
    }
}
