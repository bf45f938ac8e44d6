using System.Globalization;
using DrTools.Core.Postgres;
using Npgsql;

namespace DrTools.Core.Backups;

/// <summary>Point-in-time recovery into a new isolated instance, never over the source; a target outside the recoverable window is refused
/// before anything is restored.</summary>
public static class PointInTimeRestore
{
    /// <summary>
    /// From the end of the earliest backup that reaches it to the end of the WAL that replays after it: read along the
    /// timeline chain record by record, a missing, damaged or foreign segment, or a timeline recovery cannot follow,
    /// ends the window; the backups before such a place start no window that reaches past it.
    /// </summary>
    public static async Task<RecoverableWindow> WindowAsync(BackupRepository repository, CancellationToken cancellationToken)
    {
        // Other engines' backups recover by their own logs (MariaDB's binlogs): this window is PostgreSQL's, by WAL.
        var passes = await WalReplay.PassesAsync(repository, cancellationToken);
        if (passes.Count == 0) throw new DrToolsException($"repository {repository.Root} holds no PostgreSQL backup: nothing is "
            + $"recoverable by WAL.", DrErrorKind.InvalidOperation);
        // A backup restores only if the archive replays to its end: before that its copy of the data is not consistent.
        var restorable = passes.Where(p => p.Replay.End >= Lsn.Parse(p.From.EndLsn)).ToList();
        if (restorable.Count == 0)
        {
            var (first, replay) = passes[0];
            throw new DrToolsException($"no backup in {repository.Root} restores from its archive: WAL replay from backup "
                + $"{first.Id} stops at {replay}, before the backup's own end {first.EndLsn}: "
                + $"{replay.StopReason}.", DrErrorKind.InvalidOperation);
        }
        var (backup, reach) = restorable[^1];
        var continuity = WalArchive.Scan(repository, Lsn.Parse(backup.StartLsn));
        // Where the WAL breaks, the latest time is the last commit replay gets to (a later segment's archive time would
        // promise commits the break takes); where it runs whole, when the last segment that replays whole was archived.
        var lastBeforeEnd = WalArchive.Segments(repository)
            .Where(f => WalArchive.Start(f.Name).Value + (ulong)WalArchive.SegmentSize <= reach.End.Value)
            .MaxBy(f => WalArchive.Position(f.Name));
        DateTimeOffset? latest = reach.Break is not null ? reach.LastCommit : lastBeforeEnd?.LastWriteTimeUtc;
        var earliestTime = Reached(repository, Lsn.Parse(backup.EndLsn), reach.End).Min(b => b.FinishedAt);
        var latestTime = latest is { } time && time > earliestTime ? time : earliestTime;
        var (earliest, cut) = passes[0];
        return new RecoverableWindow(earliestTime, backup.EndLsn, latestTime, reach.End.ToString())
        {
            Gap = reach.Missing ?? continuity.MissingSegments.FirstOrDefault(m => !reach.FromBackup.Contains(m)),
            Break = reach.Break,
            Replay = reach,
            BackupId = backup.Id,
            CutOff = earliest == backup ? null : $"the backups before {backup.Id} do not reach it: WAL replay from backup "
                + $"{earliest.Id} stops at {cut}: {cut.StopReason}",
        };
    }

    public static async Task<PointInTimeResult> RestoreAsync(BackupRepository repository, PointInTimeOptions options,
        CancellationToken cancellationToken)
    {
        var window = await WindowAsync(repository, cancellationToken);
        var target = options.Target;
        RequireKnownRestorePoint(repository, target);
        var backup = ChooseBackup(repository, target, window);
        if (target.Kind == "xid")
        {
            options.Progress.Enter($"looking for transaction {target.Value}'s commit in the archived WAL", 2);
            var commit = await RequireCommittedAsync(repository, target, cancellationToken);
            if (commit < Lsn.Parse(window.EarliestLsn))
            {
                throw new DrToolsException($"transaction {target.Value} committed at {commit}, before the recoverable window of "
                    + $"{repository.Root} starts: no restore can stop at its commit. Recoverable: {window}. Nothing was restored.",
                    DrErrorKind.InvalidArgument);
            }
        }
        options.Progress.Enter($"extracting backup {backup.Id} into a new instance", 5);
        var clock = new MonotonicClock();
        var instance = await RestoredInstance.ExtractAsync(repository, backup, options.Root, options.KeepInstance
            || options.KeepFailedInstance, cancellationToken);
        var succeeded = false;
        try
        {
            var reached = target.ToString();
            string? missed = null;
            try
            {
                options.Progress.Enter($"recovery to {target}", 40);
                try
                {
                    await instance.RecoverAsync(repository, target, options.RecoveryTimeout, cancellationToken);
                    // The end of the archive is reached only where the archive replays whole to its end.
                    if (target.Kind == "end") missed = Missed(window, target);
                }
                catch (DrToolsException) when (target.Kind is "time" or "lsn"
                    && instance.LastLogLines(10).Contains("recovery ended before configured recovery target was reached",
                    StringComparison.Ordinal))
                {
                    await instance.RecoverAsync(repository, RecoveryTarget.EndOfArchive, options.RecoveryTimeout, cancellationToken);
                    if (target.Kind == "lsn")
                    {
                        // PostgreSQL stops after the first record that begins at or after the target: with none, the
                        // end of the WAL that replays holds every record before the target (checked below).
                        reached = $"{target} (no record begins at or after it in the WAL that replays: recovered to its end, "
                            + "which holds every record before it)";
                    }
                    else
                    {
                        // PostgreSQL stops at the first commit after the target time; with none archived, every archived
                        // commit is before the target, so the state at that time is the end of the archived WAL.
                        // That holds only when the WAL replayed whole: where it breaks or has a gap, commits before the target may be lost.
                        reached = $"{target} (no transaction committed after it is archived: recovered to the end of the archived WAL, "
                            + "which is the state at that time)";
                        missed = Missed(window, target);
                        if (missed is not null) reached = $"{target} NOT reached: replay stopped at the end of the WAL that replays";
                    }
                }
            }
            catch (DrToolsException e) when (e.Kind is DrErrorKind.ExternalCommandFailed or DrErrorKind.Timeout)
            {
                DiskRoom.ThrowIfRestoreStopped(instance.Directory, e);
                var broken = Missed(window, target) is { } why ? $"; {why}" : "";
                throw new DrToolsException($"restore of backup {backup.Id} to {target} failed: {instance.LastLogLines()}{broken}",
                    DrErrorKind.ExternalCommandFailed, e);
            }
            var duration = clock.Elapsed;
            await using var connection = await instance.Connection.OpenAsync(cancellationToken);
            // pg_last_wal_replay_lsn() stays, after promotion, at the end of the last record recovery replayed.
            var (lastTransaction, lsn) = await connection.ReadFirstAsync(
                "select pg_last_xact_replay_timestamp(), pg_last_wal_replay_lsn()::text",
                r => (r.IsDBNull(0) ? (DateTimeOffset?)null : r.GetFieldValue<DateTimeOffset>(0), r.IsDBNull(1) ? "none" : r.GetString(1)),
                cancellationToken);
            options.Progress.Enter("marker queries", 90);
            var markers = new List<MarkerCheck>();
            foreach (var (query, mustExist) in options.MustExist.Select(q => (q, true)).Concat(options.MustNotExist.Select(q => (q,
                false))))
            {
                markers.Add(new MarkerCheck(query, mustExist, await FoundAsync(connection, query, cancellationToken)));
            }
            var failed = markers.Where(m => !m.Passed)
                .Select(m => $"{(m.MustExist ? "missing" : "present")}: {PrintableText.OneLine(m.Query)}").ToList();
            if (target.Kind == "lsn" && Lsn.TryParse(lsn, out var replayed) && replayed < Lsn.Parse(target.Value!))
            {
                missed = $"target {target} was not reached: WAL replay stops at {replayed}";
            }
            if (missed is not null) failed.Insert(0, $"{missed}; replayed to {lsn}");
            Measurement? loss = null;
            var requested = options.Target.Kind switch
            {
                "time" => DateTimeOffset.Parse(options.Target.Value!, CultureInfo.InvariantCulture),
                "name" => repository.RestorePoints.FirstOrDefault(r => r.Name == options.Target.Value)?.CreatedAt,
                _ => (DateTimeOffset?)null,
            };
            if (requested is { } at && lastTransaction is { } last)
            {
                loss = new Measurement("data loss before the target", Math.Max(0, (at - last).TotalSeconds), "s", null,
                    options.Target.Kind == "time"
                    ? "the target time minus pg_last_xact_replay_timestamp() of the restored instance: how long before the target the last "
                        + "replayed commit was"
                    : "the restore point's creation (catalog time, taken when pg_create_restore_point returned) minus "
                        + "pg_last_xact_replay_timestamp() of the restored instance: an upper bound of how long before the restore point "
                        + "the last replayed commit was");
            }
            succeeded = true;
            return new PointInTimeResult
            {
                BackupId = backup.Id,
                Target = reached,
                Passed = failed.Count == 0,
                Reason = failed.Count == 0 ? null : string.Join("; ", failed),
                Duration = new Measurement("restore duration", duration.TotalSeconds, "s", null,
                    "extraction, server start, WAL replay to the target and promotion, on one monotonic clock"),
                LastReplayedTransaction = lastTransaction,
                DataLossBeforeTarget = loss,
                ReplayedToLsn = lsn,
                Markers = markers,
                Window = window,
                Instance = options.KeepInstance ? $"sandbox {instance.Id}, port {instance.Port}, socket {instance.SocketDirectory}" : null,
                InstanceId = options.KeepInstance ? instance.Id : null,
            };
        }
        catch (DrToolsException e)
        {
            var fate = options.KeepFailedInstance
                ? $"the restored instance was kept for inspection: sandbox {instance.Id} ({instance.DataDirectory}); Remove-DrSandbox / "
                    + $"drtools sandbox down {instance.Id} removes it"
                : "the restored instance was removed";
            throw new DrToolsException($"{e.Message.TrimEnd('.')}; {fate}.", e.Kind, e);
        }
        finally
        {
            // A failed restore removes what it made unless asked to keep it; a successful one is kept unless asked not to.
            if (succeeded ? !options.KeepInstance : !options.KeepFailedInstance) await instance.DisposeAsync();
        }
    }

    /// <summary>Why a restore that ran out of WAL did not reach <paramref name="target"/>: the archive breaks or has a gap.</summary>
    private static string? Missed(RecoverableWindow window, RecoveryTarget target)
    {
        if (window.Break is null && window.Gap is null) return null;
        var where = window.Replay is { } replay ? $"{replay.End} (segment {replay.Segment}, timeline {replay.Timeline})" : window.LatestLsn;
        return $"target {target} was not reached: WAL replay stops at {where}, "
            + (window.Break ?? $"WAL segment {window.Gap} is missing from the archive")
            + ", and commits before the target may be in the WAL it cannot replay";
    }

    /// <summary>
    /// A transaction target must have committed in the archived WAL, or recovery replays everything and then fails:
    /// pg_waldump, filtered to that transaction, looks for its commit record on each timeline before anything is restored,
    /// and says where it is.
    /// </summary>
    private static async Task<Lsn> RequireCommittedAsync(BackupRepository repository, RecoveryTarget target,
        CancellationToken cancellationToken)
    {
        var binaries = PgBinaries.Locate();
        var outcome = "no record";
        var unread = new List<string>();
        foreach (var timeline in WalArchive.Segments(repository).GroupBy(f => f.Name[..8]).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var segments = timeline.OrderBy(f => WalArchive.Position(f.Name)).ToList();
            var number = Convert.ToInt64(timeline.Key, 16).ToString(CultureInfo.InvariantCulture);
            Task<Processes.CommandResult> DumpAsync(params string[] filter) => Processes.CommandRunner.RunAsync(new Processes.CommandSpec(
                $"pg_waldump of the archive for transaction {target.Value}", binaries.Tool("pg_waldump"),
                ["-p", repository.WalDirectory, "-t", number, "-s", WalArchive.Start(segments[0].Name).ToString(),
                 "-e", new Lsn(WalArchive.Start(segments[^1].Name).Value + (ulong)WalArchive.SegmentSize).ToString(), .. filter])
            {
                // It ends with an error at a gap or damage; what it printed up to there is what counts.
                RequireSuccess = false,
                Timeout = TimeSpan.FromMinutes(30),
            }, cancellationToken);
            var result = await DumpAsync("-x", target.Value!);
            var commits = WalDump.Records(result.StandardOutput).Where(r => r.Description.StartsWith("COMMIT", StringComparison.Ordinal));
            if (commits.FirstOrDefault() is { } committed) return committed.At;
            if (result.StandardOutput.Contains("desc: ABORT", StringComparison.Ordinal)) outcome = "was rolled back (an ABORT record)";
            else if (result.StandardOutput.Length > 0)
            {
                // A subtransaction's changes carry its own id, its commit is its top-level transaction's, which is all
                // recovery_target_xid matches.
                var parent = WalDump.Records((await DumpAsync("-r", "Transaction")).StandardOutput)
                    .FirstOrDefault(r => Subtransactions(r.Description).Contains(target.Value!));
                if (parent is not null)
                {
                    throw new DrToolsException($"transaction {target.Value} is a subtransaction of transaction {parent.Transaction}, "
                        + $"whose commit at {parent.At} committed it; a restore stops only at a top-level transaction's commit: "
                        + $"give {parent.Transaction}. Nothing was restored.", DrErrorKind.InvalidArgument);
                }
                if (outcome == "no record") outcome = "has records but no commit";
            }
            if (result.ExitCode != 0)
            {
                unread.Add($"timeline {number} stops reading: {WalDump.Error(result.StandardError)}");
            }
        }
        // Where the archive stops reading, the commit may be in the WAL beyond, which no restore reaches either.
        var beyond = unread.Count == 0 ? "" : $" as far as it reads ({string.Join("; ", unread)}; it may be beyond that)";
        throw new DrToolsException($"transaction {target.Value} {(outcome == "no record" ? "does not appear in" : outcome + " in")} the "
            + $"WAL archived in {repository.WalDirectory}{beyond}: no restore can stop at its commit. Nothing was restored.",
            DrErrorKind.InvalidArgument);
    }

    /// <summary>The subtransaction ids a commit record lists ("COMMIT …; subxacts: 745 746; …").</summary>
    private static string[] Subtransactions(string commit) =>
        commit.StartsWith("COMMIT", StringComparison.Ordinal) && commit.IndexOf("subxacts:", StringComparison.Ordinal) is var at and >= 0
            ? commit[(at + 9)..].Split(';')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            : [];

    /// <summary>A named restore point must be in the catalog: its LSN is what places it in the window.</summary>
    private static void RequireKnownRestorePoint(BackupRepository repository, RecoveryTarget target)
    {
        if (target.Kind == "name" && repository.RestorePoints.All(r => r.Name != target.Value))
        {
            throw new DrToolsException($"restore point '{target.Value}' is not in the catalog of {repository.Root} (it has: "
                + $"{string.Join(", ", repository.RestorePoints.Select(r => r.Name).DefaultIfEmpty("none"))}).",
                DrErrorKind.InvalidArgument);
        }
    }

    /// <summary>
    /// The PostgreSQL backups that end inside the stretch replay reaches: a restore to any point of the window starts from
    /// the one that ended last before it — in WAL for an LSN, by the clock for a time (a backup's end is before it finished).
    /// </summary>
    private static List<BackupRecord> Reached(BackupRepository repository, Lsn from, Lsn to) =>
        repository.Backups.Where(b => b.Engine is null && Lsn.Parse(b.EndLsn) >= from && Lsn.Parse(b.EndLsn) <= to).ToList();

    private static BackupRecord ChooseBackup(BackupRepository repository, RecoveryTarget target, RecoverableWindow window)
    {
        var backups = Reached(repository, Lsn.Parse(window.EarliestLsn), Lsn.Parse(window.LatestLsn));
        string Outside(string what)
            => $"target {target} is outside the recoverable window of {repository.Root}: {what}. Recoverable: {window}. Nothing was "
            + $"restored.";
        switch (target.Kind)
        {
            case "time":
                var time = DateTimeOffset.Parse(target.Value!, CultureInfo.InvariantCulture);
                if (time < window.EarliestTime) throw new DrToolsException(Outside(window.CutOff is null
                    ? "it is before the earliest backup finished"
                    : $"it is before backup {backups.MinBy(b => b.FinishedAt)!.Id} finished, where it starts"),
                    DrErrorKind.InvalidArgument);
                var after = window.Break is null ? "it is after the last archived WAL" : "it is after the end of the WAL that replays";
                if (time > window.LatestTime) throw new DrToolsException(Outside(after), DrErrorKind.InvalidArgument);
                return backups.Where(b => b.FinishedAt <= time).MaxBy(b => Lsn.Parse(b.EndLsn))!;
            case "lsn":
            case "name":
                var lsn = Lsn.Parse(target.Kind == "lsn" ? target.Value!
                    : repository.RestorePoints.Single(r => r.Name == target.Value).Lsn);
                if (lsn < Lsn.Parse(window.EarliestLsn)) throw new DrToolsException(Outside(window.CutOff is null
                    ? $"{lsn} is before the end of the earliest backup" : $"{lsn} is before the end of backup {window.BackupId}, where it "
                    + "starts"), DrErrorKind.InvalidArgument);
                var end = window.Break is null ? "the last archived WAL" : "the end of the WAL that replays";
                if (lsn > Lsn.Parse(window.LatestLsn))
                {
                    throw new DrToolsException(Outside($"{lsn} is past {end}"), DrErrorKind.InvalidArgument);
                }
                return backups.Where(b => Lsn.Parse(b.EndLsn) <= lsn).MaxBy(b => Lsn.Parse(b.EndLsn))!;
            default:
                // A transaction id has no place in the window until replay meets it: start from the window's first backup.
                return backups.Single(b => b.Id == window.BackupId);
        }
    }

    private static async Task<bool> FoundAsync(NpgsqlConnection connection, string query, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = new NpgsqlCommand(query, connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken);
        }
        catch (PostgresException e)
        {
            throw new DrToolsException($"marker query '{PrintableText.OneLine(query)}' failed on the restored instance: "
                + PrintableText.OneLine(e.MessageText), DrErrorKind.InvalidArgument);
        }
    }
}
