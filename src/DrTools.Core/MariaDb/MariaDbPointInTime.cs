using System.Globalization;
using System.Text.RegularExpressions;
using DrTools.Core.Backups;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.MariaDb;

/// <summary>
/// MariaDB point-in-time recovery: the primary's binlogs archived into the repository (mariadb-binlog
/// --read-from-remote-server --raw, as a binlog server does), then a backup restored into a new instance and the
/// archived binlogs replayed from the backup's GTID to a target GTID (inclusive) or time. Never over the source.
/// </summary>
public static partial class MariaDbPointInTime
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromHours(6);

    public static string BinlogDirectory(BackupRepository repository) => Path.Combine(repository.Root, "binlog");

    /// <summary>Copies every binlog the primary still has into the repository, replacing older copies (the last one grows).</summary>
    public static async Task<IReadOnlyList<string>> ArchiveBinlogsAsync(MariaDbCluster cluster, BackupRepository repository,
        CancellationToken cancellationToken)
    {
        var status = await cluster.GetStatusAsync(cancellationToken);
        var primary = cluster.Member(status.Primary?.Name
            ?? throw new DrToolsException($"binlog archive of {cluster.Name}: {status.Verdict}", DrErrorKind.InvalidOperation));
        var logs = (await primary.RowsAsync("show binary logs", cancellationToken)).Select(r => (string)r["Log_name"]!).ToList();
        if (logs.Count == 0) throw new DrToolsException($"{primary.Display} writes no binlog (log_bin is off): nothing to archive for "
            + $"point-in-time recovery.", DrErrorKind.InvalidOperation);
        var directory = AtomicFile.MakeFolder(BinlogDirectory(repository), "the repository's binlog archive");
        // Into a folder of its own beside the archive, then each file renamed over its older copy: a full or read-only
        // disk (or a kill) leaves the archive as it was, never a binlog cut short.
        var incoming = AtomicFile.MakeFolder(Path.Combine(directory, $".incoming-{Environment.ProcessId}-{Guid.NewGuid():N}"),
            "the repository's binlog archive");
        try
        {
            await CommandRunner.RunAsync(new CommandSpec($"mariadb-binlog archive of {primary.Display}", "mariadb-binlog",
                ["--no-defaults", "--read-from-remote-server", "--raw", "-h", primary.Host, "-P", primary.Port.ToString(),
                    "-u", primary.UserName, $"--result-file={incoming}/", "--to-last-log", logs[0]])
            {
                Environment = new Dictionary<string, string> { ["MYSQL_PWD"] = primary.Password },
                WorkingDirectory = incoming,
                Timeout = ToolTimeout,
            }, cancellationToken);
            foreach (var file in Directory.GetFiles(incoming))
            {
                File.Move(file, Path.Combine(directory, Path.GetFileName(file)), overwrite: true);
            }
        }
        catch (DrToolsException e) when (e.Kind == DrErrorKind.ExternalCommandFailed && new DriveInfo(incoming).AvailableFreeSpace == 0)
        {
            // mariadb-binlog says only "Could not write into log file": the file system it filled says why (ENOSPC).
            throw AtomicFile.Failure("archive binlogs into", directory, new IOException("No space left on device", 28));
        }
        finally
        {
            Directory.Delete(incoming, recursive: true);
        }
        return logs;
    }

    /// <summary>The archived binlogs of one server, in order: a gap in their numbers is a missing file, named.</summary>
    private static (IReadOnlyList<string> Files, string? Missing) Archived(BackupRepository repository)
    {
        var directory = BinlogDirectory(repository);
        var files = Directory.Exists(directory) ? new DirectoryInfo(directory).GetFiles().Where(f => BinlogName().IsMatch(f.Name)).ToList()
            : [];
        if (files.Count == 0) throw new DrToolsException($"repository {repository.Root} has no archived binlog: archive them first "
            + $"(Restore-PointInTime does while the primary is reachable; drtools backup binlogs).", DrErrorKind.InvalidOperation);
        // After a failover another server's binlogs continue the history: replay the newest server's.
        var prefix = BinlogName().Match(files.MaxBy(f => f.LastWriteTimeUtc)!.Name).Groups[1].Value;
        var numbered = files.Select(f => BinlogName().Match(f.Name)).Where(m => m.Groups[1].Value == prefix).Select(m => (Name: m.Value,
            Number: int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))).OrderBy(f => f.Number).ToList();
        var missing = numbered.Zip(numbered.Skip(1)).FirstOrDefault(p => p.Second.Number != p.First.Number + 1);
        return (numbered.Select(f => Path.Combine(directory, f.Name)).ToList(), missing == default ? null
            : $"{prefix}.{missing.First.Number + 1:D6}");
    }

    [GeneratedRegex(@"^(.+)\.(\d{6})$")]
    private static partial Regex BinlogName();

    public static async Task<PointInTimeResult> RestoreAsync(BackupRepository repository, MariaDbRecoveryTarget target,
        PointInTimeOptions options, string? backupId, CancellationToken cancellationToken)
    {
        var clock = new MonotonicClock();
        var backups = repository.Backups.Where(b => b.Engine == Engines.StoreEngines.MariaDb).ToList();
        var backup = backupId is not null ? repository.Backup(backupId)
            : backups.Where(b => target.Time is not { } time || b.FinishedAt <= time).MaxBy(b => b.FinishedAt)
              ?? throw new DrToolsException($"repository {repository.Root} has no MariaDB backup taken before {target}.",
                  DrErrorKind.InvalidOperation);
        if (backup.Engine != Engines.StoreEngines.MariaDb) throw new DrToolsException($"backup {backup.Id} is not a MariaDB backup.",
            DrErrorKind.InvalidArgument);
        if (target.Gtid is { } gtid && Gtid.SequenceSum(gtid) < Gtid.SequenceSum(backup.EndLsn))
        {
            throw new DrToolsException($"target GTID {gtid} is before backup {backup.Id} (taken at {backup.EndLsn}): restore an earlier "
                + $"backup.", DrErrorKind.InvalidArgument);
        }
        var (files, missing) = Archived(repository);
        var window = new RecoverableWindow(backup.FinishedAt, backup.EndLsn, File.GetLastWriteTimeUtc(files[^1]),
            $"end of {Path.GetFileName(files[^1])}") { Gap = missing };
        string? reason = missing is null ? null
            : $"binlog archive: {missing} is missing between {Path.GetFileName(files[0])} and {Path.GetFileName(files[^1])}: the "
            + $"transactions in it cannot be replayed";
        reason ??= await DamagedAsync(files, cancellationToken) ?? await CoversAsync(files[0], backup.EndLsn, cancellationToken);
        Sandbox? instance = null;
        var reached = "";
        var markers = new List<MarkerCheck>();
        try
        {
            if (reason is null)
            {
                options.Progress.Enter($"restore of backup {backup.Id} into a new instance", 10);
                instance = await MariaDbBackups.RestoreAsync(repository, backup, options.Root, options.KeepInstance, cancellationToken);
                options.Progress.Enter($"replaying the archived binlogs from GTID {backup.EndLsn} to {target}", 50);
                var member = instance.Members[0];
                List<string> replay =
                    ["--no-defaults", "--verify-binlog-checksum", $"--start-position={backup.EndLsn}", .. target.StopArguments, .. files];
                await CommandRunner.RunAsync(new CommandSpec($"binlog replay to {target}", "bash",
                    ["-c", "set -o pipefail; port=$1; user=$2; shift 2; "
                        + "mariadb-binlog \"$@\" | mariadb --no-defaults --sandbox -h 127.0.0.1 -P \"$port\" -u \"$user\"",
                    "bash", member.Port.ToString(), Sandbox.UserName, .. replay])
                {
                    Environment = new Dictionary<string, string> { ["MYSQL_PWD"] = instance.Password },
                    Timeout = options.RecoveryTimeout,
                }, cancellationToken);
                var restored = ((MariaDbCluster)MariaDbEngine.Instance.Cluster(instance)).Members[0];
                reached = Convert.ToString((await restored.RowsAsync("select @@gtid_binlog_pos as pos", cancellationToken))[0]["pos"],
                    CultureInfo.InvariantCulture) ?? "";
                if (reached.Length == 0) reached = backup.EndLsn;
                if (target.Gtid is { } wanted && Gtid.SequenceSum(reached) < Gtid.SequenceSum(wanted))
                {
                    reason = $"replay: the archived binlogs end at GTID {reached}, before the target {wanted}";
                }
                foreach (var (query, mustExist) in options.MustExist.Select(q => (q, true)).Concat(options.MustNotExist.Select(q => (q,
                    false))))
                {
                    var found = (await restored.RowsAsync(query, cancellationToken)).Count > 0;
                    markers.Add(new MarkerCheck(query, mustExist, found));
                }
                if (reason is null && markers.FirstOrDefault(m => !m.Passed) is { } wrong)
                {
                    reason = $"marker: '{wrong.Query}' {(wrong.MustExist ? "found no row" : "found a row")} after the restore to {target}";
                }
            }
        }
        // A full or read-only disk where the instance is restored is an error (exit 2), never a FAIL of the backup.
        catch (DrToolsException e) when (!cancellationToken.IsCancellationRequested && !AtomicFile.IsDiskProblem(e.InnerException))
        {
            DiskRoom.ThrowIfRestoreStopped(instance?.Directory, e);
            reason = $"restore: {e.Message}";
        }
        finally
        {
            if (instance is not null && (!options.KeepInstance || (reason is not null
                && !options.KeepFailedInstance))) await instance.DisposeAsync();
        }
        var kept = instance is not null && options.KeepInstance && (reason is null || options.KeepFailedInstance);
        return new PointInTimeResult
        {
            BackupId = backup.Id,
            Target = target.ToString(),
            Passed = reason is null,
            Reason = reason,
            Duration = new Measurement("restore to the target", clock.Elapsed.TotalSeconds, "s", null,
                "restore of the backup into a new instance, then mariadb-binlog of the archived binlogs piped to the mariadb client, on "
                    + "one monotonic clock"),
            LastReplayedTransaction = null,
            ReadsCommitTime = false,
            DataLossBeforeTarget = null,
            ReplayedToLsn = reached,
            Markers = markers,
            Window = window,
            Instance = kept ? $"sandbox {instance!.Id}, port {instance.Members[0].Port}" : null,
            InstanceId = kept ? instance!.Id : null,
        };
    }

    /// <summary>
    /// Each archived binlog read whole with every event's CRC32 checked (mariadb-binlog checks none by default, and
    /// replays a changed value): a damaged or cut file is named before anything is restored.
    /// </summary>
    private static async Task<string?> DamagedAsync(IReadOnlyList<string> files, CancellationToken cancellationToken)
    {
        foreach (var file in files)
        {
            var name = Path.GetFileName(file);
            var read = await CommandRunner.RunAsync(new CommandSpec($"mariadb-binlog --verify-binlog-checksum of {name}", "sh",
                ["-c", "exec mariadb-binlog --no-defaults --verify-binlog-checksum \"$1\" > /dev/null", "sh", file])
            {
                RequireSuccess = false,
                Timeout = ToolTimeout,
            }, cancellationToken);
            if (read.ExitCode == 0) continue;
            var errors = read.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var why = string.Join(" | ", errors.Take(2).DefaultIfEmpty($"mariadb-binlog exited with {read.ExitCode}"));
            return $"binlog archive: {name} is damaged: {why}";
        }
        return null;
    }

    /// <summary>The first archived binlog must begin at or before the backup's position: otherwise the transactions in between are
    /// gone.</summary>
    private static async Task<string?> CoversAsync(string first, string backupPosition, CancellationToken cancellationToken)
    {
        var head = await CommandRunner.RunAsync(new CommandSpec($"mariadb-binlog of {Path.GetFileName(first)}", "mariadb-binlog",
            ["--no-defaults", "--stop-position=1024", first]), cancellationToken);
        var list = GtidList().Match(head.StandardOutput);
        if (!list.Success) return null;
        var starts = list.Groups[1].Value;
        return Gtid.SequenceSum(starts) <= Gtid.SequenceSum(backupPosition) ? null
            : $"binlog archive: {Path.GetFileName(first)} begins after GTID {starts}, but the backup was taken at {backupPosition}: the "
                + $"binlogs between them are missing";
    }

    [GeneratedRegex(@"Gtid list \[([^\]]*)\]")]
    private static partial Regex GtidList();
}
