using System.CommandLine;
using System.Globalization;
using DrTools.Core;
using DrTools.Core.Engines;
using DrTools.Core.Backups;
using DrTools.Core.Postgres;

namespace DrTools.Cli;

/// <summary>drtools backup archive|create|list|verify|restore-point, and drtools restore.</summary>
public static class BackupCommands
{
    private static Option<string> Repository() => new("--repository",
        "-r") { Description = "The backup repository folder (created by the first backup).", Required = true };

    public static Command Create() => new("backup",
        "Base backups into a repository, WAL archiving into it, verification by real restore.")
    {
        Archive(), CreateBackup(), List(), Verify(), RestorePoint(), Check(), Expire(),
    };

    private static Option<string?> Keep() =>
        new("--keep") { Description = "Grandfather-father-son retention as DAILY,WEEKLY,MONTHLY counts, e.g. 30,12,12." };

    private static RetentionPolicy? ParseKeep(string? text)
    {
        if (text is null) return null;
        var parts = text.Split(',');
        if (parts.Length != 3 || !parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            throw new DrToolsException($"--keep: '{text}' is not DAILY,WEEKLY,MONTHLY (for example 30,12,12).",
                DrErrorKind.InvalidArgument);
        }
        var counts = parts.Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        return new RetentionPolicy(counts[0], counts[1], counts[2]);
    }

    private static Command Check()
    {
        var target = new TargetOptions();
        var repository = Repository();
        var maxAge = CommonOptions.Duration("--max-age", "Most age the latest backup may have (e.g. 26h).", max: DurationText.MaxAge);
        var keep = Keep();
        var json = CommonOptions.Json();
        var command = new Command("check",
            "Backup policy: latest backup age, archiver health (with --sandbox/--member), WAL continuity, retention; exit 1 on a problem.")
        {
            repository, maxAge, keep, json,
        };
        target.AddTo(command);
        command.SetAction(async (parse, token) =>
        {
            var repo = BackupRepository.Open(parse.GetValue(repository)!, create: false);
            var cluster = parse.GetValue(target.Sandbox) is null && (parse.GetValue(target.Members) ?? []).Length == 0 ? null
                : target.Resolve(parse);
            var result = await BackupPolicy.CheckAsync(repo, cluster, new BackupPolicyOptions { MaxBackupAge = parse.GetValue(maxAge),
                Retention = ParseKeep(parse.GetValue(keep)) }, token);
            if (parse.GetValue(json)) Output.Json(result);
            else
            {
                Console.WriteLine(result.Passed ? "backup policy: PASS" : $"backup policy: FAIL: {string.Join("; ", result.Problems)}");
                if (result.LatestBackupAge is { } age) Console.WriteLine($"  {age.Name}: {age}");
                if (result.Archiver is { } archiver) Console.WriteLine($"  archiver on {archiver.Member}: {archiver.ArchivedCount} "
                    + $"archived, last {archiver.LastArchivedWal} at {archiver.LastArchivedTime:u}; {archiver.FailedCount} failed");
                foreach (var decision in result.Retention) Console.WriteLine($"  {decision.BackupId}: {decision.Reason}");
            }
            return result.Passed ? ExitCodes.Success : ExitCodes.NotMet;
        });
        return command;
    }

    private static Command Expire()
    {
        var repository = Repository();
        var keep = Keep();
        keep.Required = true;
        var whatIf = new Option<bool>("--what-if") { Description = "List what would be removed, remove nothing." };
        var command = new Command("expire",
            "Remove the backups the retention policy expires, and the WAL no remaining backup needs.") { repository, keep, whatIf };
        command.SetAction(parse =>
        {
            var repo = BackupRepository.Open(parse.GetValue(repository)!, create: false);
            foreach (var decision in BackupPolicy.PlanRetention(repo.Backups, ParseKeep(parse.GetValue(keep))!).Where(d => d.Expired))
            {
                if (parse.GetValue(whatIf))
                {
                    Console.WriteLine($"What if: removing backup {decision.BackupId} ({decision.Reason})");
                    continue;
                }
                BackupPolicy.Remove(repo, decision.BackupId);
                Console.WriteLine($"removed backup {decision.BackupId} ({decision.Reason})");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Archive()
    {
        var target = new TargetOptions();
        var repository = Repository();
        var command = new Command("archive",
            "Point the cluster's archive_command at the repository (a sandbox, or members named with --allow-drill-on); for MariaDB, copy "
            + "the primary's binlogs into it now.") { repository };
        target.AddTo(command, destructive: true);
        command.SetAction(async (parse, token) =>
        {
            var archive = await BackupRepository.OpenForAsync(parse.GetValue(repository)!,
                repo => Core.Engines.Stores.ArchiveAsync(target.ResolveStore(parse), repo, token));
            Console.WriteLine($"archived into {archive.WalDirectory}: {archive.ArchiveCommand}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateBackup()
    {
        var target = new TargetOptions();
        var repository = Repository();
        var compression = new Option<BackupCompression>("--compression") { Description = "gzip (server-side where the server supports it) "
            + "or none.", DefaultValueFactory = _ => BackupCompression.Gzip };
        var noReference = new Option<bool>("--no-reference") { Description = "Do not record the table checksums a verification compares "
            + "against." };
        var kind = new Option<string?>("--kind") { Description = "base (PostgreSQL's pg_basebackup), dump or physical (MariaDB: "
            + "mariadb-dump, mariadb-backup), rdb or aof (Redis); default the engine's first." }
            .AcceptOnlyFromAmong([.. StoreEngines.BackupKinds]);
        var json = CommonOptions.Json();
        var command = new Command("create",
            "Take a backup into the repository: PostgreSQL's base backup (manifest with SHA-256 checksums), MariaDB's dump or physical "
            + "copy, Redis' RDB or AOF, each with its reference checksums.") { repository, compression, noReference, kind, json };
        target.AddTo(command);
        command.SetAction(async (parse, token) =>
        {
            var backup = await BackupRepository.OpenForAsync(parse.GetValue(repository)!, repo => Core.Engines.Stores.BackupAsync(
                target.ResolveStore(parse), repo, parse.GetValue(kind),
                new BackupOptions { Compression = parse.GetValue(compression), RecordReference = !parse.GetValue(noReference) }, token));
            if (parse.GetValue(json)) Output.Json(backup);
            else if (backup.Engine is { } engine) Console.WriteLine($"{engine} {backup.Kind} backup {backup.Id} of {backup.Source} at "
                + $"{backup.EndLsn}, {backup.SizeBytes} bytes, {DurationText.Format(backup.Duration)}; reference: "
                + $"{backup.ReferenceMethod}");
            else Console.WriteLine($"backup {backup.Id}: {backup.StartLsn}..{backup.EndLsn} on timeline {backup.Timeline}, "
                + $"{backup.SizeBytes} bytes, {DurationText.Format(backup.Duration)}; reference: {backup.ReferenceMethod}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List()
    {
        var repository = Repository();
        var json = CommonOptions.Json();
        var command = new Command("list",
            "The catalog: backups with age and size, restore points, and the recoverable window.") { repository, json };
        command.SetAction(async (parse, token) =>
        {
            var repo = BackupRepository.Open(parse.GetValue(repository)!, create: false);
            var backups = repo.Backups;
            RecoverableWindow? window = null;
            string? unrecoverable = null;
            try
            {
                if (backups.Any(b => b.Engine is null)) window = await PointInTimeRestore.WindowAsync(repo, token);
            }
            catch (DrToolsException e) when (e.Kind == DrErrorKind.InvalidOperation)
            {
                unrecoverable = e.Message;
            }
            if (parse.GetValue(json))
            {
                Output.Json(new
                {
                    backups, restorePoints = repo.RestorePoints, recoverableWindow = window, unrecoverable,
                    uncatalogued = repo.Uncatalogued,
                });
                return Listed(unrecoverable);
            }
            Output.Table(["ID", "ENGINE", "KIND", "AGE", "SIZE", "POSITION", "TIMELINE", "COMPRESSION"], backups.Select(b => new[]
            {
                b.Id, b.Engine ?? StoreEngines.PostgreSql, b.Kind ?? PostgresEngine.BaseBackup,
                DurationText.Format(DateTimeOffset.UtcNow - b.FinishedAt),
                b.SizeBytes.ToString(CultureInfo.InvariantCulture),
                b.Engine is null ? $"{b.StartLsn}..{b.EndLsn}" : b.EndLsn, b.Timeline.ToString(CultureInfo.InvariantCulture), b.Compression,
            }));
            foreach (var point in repo.RestorePoints) Console.WriteLine($"restore point {point.Name} at {point.Lsn} ({point.CreatedAt:u})");
            foreach (var folder in repo.Uncatalogued) Console.WriteLine(BackupRepository.UncataloguedNote(repo.BackupDirectory(folder)));
            Console.WriteLine(window is not null ? $"recoverable: {window}"
                : unrecoverable is not null ? $"nothing recoverable: {unrecoverable}"
                : backups.Count == 0 ? "nothing recoverable: no backup"
                : "no PostgreSQL backup: no WAL window (MariaDB recovers by archived binlogs, Redis from snapshots)");
            return Listed(unrecoverable);
        });
        return command;
    }

    /// <summary>Backups of which none restores are a failed state, as `backup check` says: exit 1.</summary>
    private static int Listed(string? unrecoverable) => unrecoverable is null ? ExitCodes.Success : ExitCodes.NotMet;

    private static Command Verify()
    {
        var repository = Repository();
        var id = new Option<string?>("--id") { Description = "The backup to verify (default the latest)." };
        var rto = CommonOptions.Duration("--rto", "Most time a restore to a verified instance may take (e.g. 10m).",
            max: DurationText.MaxAge);
        var keep = new Option<bool>("--keep-instance") { Description = "Leave the restored instance running (drtools sandbox down removes "
            + "it)." };
        var json = CommonOptions.Json();
        var command = new Command("verify",
            "Restore a backup into a new isolated instance, pg_verifybackup, recover, pg_amcheck, compare checksums; PASS/FAIL, exit 1 on "
            + "FAIL.") { repository, id, rto, keep, json };
        command.SetAction(async (parse, token) =>
        {
            var repo = BackupRepository.Open(parse.GetValue(repository)!, create: false);
            using var progress = ConsoleProgress.For("backup verify", parse.GetValue(json));
            var result = await Core.Engines.Stores.VerifyBackupAsync(repo, new BackupVerificationOptions
            {
                BackupId = parse.GetValue(id), RtoTarget = parse.GetValue(rto), KeepInstance = parse.GetValue(keep), Progress = progress,
            }, token);
            progress?.Dispose();
            if (parse.GetValue(json)) Output.Json(result);
            else
            {
                Console.WriteLine($"backup {result.BackupId}: {result.Result}{(result.Reason is null ? "" : $": {result.Reason}")}");
                foreach (var figure in result.Figures) Console.WriteLine($"  {figure.Name}: {figure} — {figure.Method}");
                if (result.Integrity is not null) Console.WriteLine($"  integrity at {result.RecoveryTarget}: {result.Integrity}");
                if (result.IntegrityNotChecked is { } why) Console.WriteLine($"  integrity: not checked: {why}");
                if (result.KeptInstance is not null) Console.WriteLine($"  kept: {result.KeptInstance}");
            }
            return result.Met ? ExitCodes.Success : ExitCodes.NotMet;
        });
        return command;
    }

    private static Command RestorePoint()
    {
        var target = new TargetOptions();
        var repository = Repository();
        var name = new Option<string>("--name") { Description = "The restore point's name (unique in the catalog).", Required = true };
        var command = new Command("restore-point",
            "Create a named restore point on the primary and record it in the catalog.") { repository, name };
        target.AddTo(command);
        command.SetAction(async (parse, token) =>
        {
            var point = await DbBackups.CreateRestorePointAsync(target.Resolve(parse), BackupRepository.Open(parse.GetValue(repository)!,
                create: false), parse.GetValue(name)!, token);
            Console.WriteLine($"restore point {point.Name} at {point.Lsn} on timeline {point.Timeline}");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>drtools restore: point-in-time recovery into a new isolated instance; exit 1 when a marker check fails.</summary>
    public static Command Restore()
    {
        var repository = Repository();
        var time = new Option<string?>("--time") { Description = "Recover up to this time (e.g. '2026-11-22 08:05:12+00')." };
        var lsn = new Option<string?>("--lsn") { Description = "Recover up to this WAL position (e.g. 0/3000148)." };
        var xid = new Option<long?>("--xid") { Description = "Recover up to the commit of this transaction id." }
            .InRange(RecoveryTarget.FirstNormalXid, uint.MaxValue);
        var name = new Option<string?>("--name") { Description = "Recover up to this named restore point." };
        var gtid = new Option<string?>("--gtid") { Description = "MariaDB: recover up to this GTID, inclusive (e.g. 0-1-42)." };
        var backupId = new Option<string?>("--backup") { Description = "MariaDB: the backup to start from (default the latest taken before "
            + "the target)." };
        var mustExist = new Option<string[]>("--must-exist") { Description = "A query that must return a row after the restore (repeat)." };
        var mustNotExist = new Option<string[]>("--must-not-exist") { Description = "A query that must return no row after the restore "
            + "(repeat)." };
        var remove = new Option<bool>("--remove") { Description = "Remove the restored instance after the checks (default: keep it, it is "
            + "the restore)." };
        var keepFailed = new Option<bool>("--keep-failed") { Description = "Keep the instance of a restore that fails, for inspection "
            + "(default: remove it)." };
        var json = CommonOptions.Json();
        var command = new Command("restore", "Point-in-time recovery into a new isolated instance, never over the source.") { repository,
            time, lsn, xid, name, gtid, backupId, mustExist, mustNotExist, remove, keepFailed, json };
        command.SetAction(async (parse, token) =>
        {
            var targets = new List<RecoveryTarget>();
            if (parse.GetValue(time) is { } t)
            {
                targets.Add(RecoveryTarget.Time(TimestampText.Parse(t, "--time")));
            }
            if (parse.GetValue(lsn) is { } l) targets.Add(RecoveryTarget.Lsn(Lsn.ParseArgument(l, "--lsn")));
            if (parse.GetValue(xid) is { } x) targets.Add(RecoveryTarget.Xid(x));
            if (parse.GetValue(name) is { } n) targets.Add(RecoveryTarget.Name(n));
            if (parse.GetValue(gtid) is not null) targets.Add(RecoveryTarget.Immediate);
            if (targets.Count != 1) throw new DrToolsException("restore: give exactly one target: --time, --lsn, --xid or --name. A "
                + "MariaDB repository also takes --gtid.", DrErrorKind.InvalidArgument);
            using var progress = ConsoleProgress.For("restore", parse.GetValue(json));
            var result = await Core.Engines.Stores.RestorePointInTimeAsync(BackupRepository.Open(parse.GetValue(repository)!,
                create: false), new PointInTimeOptions
            {
                Progress = progress,
                Target = targets[0],
                MustExist = parse.GetValue(mustExist) ?? [],
                MustNotExist = parse.GetValue(mustNotExist) ?? [],
                KeepInstance = !parse.GetValue(remove),
                KeepFailedInstance = parse.GetValue(keepFailed),
            }, parse.GetValue(gtid), parse.GetValue(backupId), token);
            progress?.Dispose();
            if (parse.GetValue(json)) Output.Json(result);
            else
            {
                Console.WriteLine($"restore of backup {result.BackupId} to {result.Target}: "
                    + $"{result.Result}{(result.Reason is null ? "" : $": {result.Reason}")}");
                var lastCommit = result.LastReplayedTransaction switch
                {
                    { } last => $"last replayed commit {last.ToString("u", CultureInfo.InvariantCulture)}",
                    null when result.ReadsCommitTime => "last replayed commit none (the restore replayed no transaction)",
                    null => "the time of the last replayed commit is not read for this engine",
                };
                Console.WriteLine($"  {result.Duration.Name}: {result.Duration}; replayed to {result.ReplayedToLsn}; {lastCommit}");
                if (result.DataLossBeforeTarget is { } loss) Console.WriteLine($"  {loss.Name}: {loss} — {loss.Method}");
                foreach (var marker in result.Markers) Console.WriteLine($"  {(marker.Passed ? "ok" : "FAILED")}: "
                    + $"{(marker.MustExist ? "exists" : "absent")}: {PrintableText.OneLine(marker.Query)}");
                if (result.Instance is not null) Console.WriteLine($"  instance: {result.Instance}");
            }
            return result.Passed ? ExitCodes.Success : ExitCodes.NotMet;
        });
        return command;
    }
}
