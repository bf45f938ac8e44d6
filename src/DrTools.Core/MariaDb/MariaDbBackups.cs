using System.Globalization;
using System.Text.RegularExpressions;
using DrTools.Core.Backups;
using DrTools.Core.Integrity;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;
using MySqlConnector;

namespace DrTools.Core.MariaDb;

/// <summary>
/// MariaDB backups into a DrTools repository: a logical dump (mariadb-dump --single-transaction) or a physical copy
/// (mariadb-backup), each with the checksums of its data as the reference a restore must show, taken while the data
/// stood still: on a replica whose SQL thread is paused (the primary keeps serving), else on the primary under a
/// global read lock for the length of the dump.
/// </summary>
public static partial class MariaDbBackups
{
    public const string Dump = "dump", Physical = "physical";
    private const string DumpFile = "dump.sql";
    private const string DumpTrailer = "-- Dump completed";
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromHours(6);

    public static async Task<BackupRecord> CreateAsync(MariaDbCluster cluster, BackupRepository repository, string? kind,
        CancellationToken cancellationToken)
    {
        kind ??= Dump;
        if (kind is not (Dump or Physical)) throw new DrToolsException($"backup kind '{kind}': a MariaDB backup is {Dump} (mariadb-dump) "
            + $"or {Physical} (mariadb-backup).", DrErrorKind.InvalidArgument);
        var status = await cluster.GetStatusAsync(cancellationToken);
        var replica = status.Standbys.FirstOrDefault(s => s.ReplicationState == "streaming");
        if (kind == Physical
            && replica is null) throw new DrToolsException($"a physical backup of {cluster.Name} is taken from a replicating replica (its "
            + $"data still while it is copied); {status.Verdict}.", DrErrorKind.InvalidOperation);
        var sourceName = replica?.Name ?? status.Primary?.Name ?? throw new DrToolsException($"backup of {cluster.Name}: {status.Verdict}",
            DrErrorKind.InvalidOperation);
        var source = cluster.Member(sourceName);
        var (id, directory) = Engines.EngineBackups.NewBackup(repository);
        var started = DateTimeOffset.UtcNow;
        await using var connection = await source.OpenAsync(cancellationToken);
        // Still data: the replica's SQL thread paused, or the primary's writes held by a global read lock on this session.
        await source.ExecuteAsync(connection, replica is null ? "flush tables with read lock" : "stop slave sql_thread", cancellationToken);
        try
        {
            var position = Gtid.Position((await source.RowsAsync(connection, "select @@gtid_current_pos as pos",
                cancellationToken))[0]["pos"] as string);
            var reference = await MariaDbChecksum.TakeAsync(source, null, cancellationToken);
            if (kind == Dump) await DumpAsync(source, connection, reference, Path.Combine(directory, DumpFile), cancellationToken);
            else await CopyAsync(source, Path.Combine(directory, Physical), cancellationToken);
            Engines.BackupFiles.Write(directory);
            var size = new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
            var version = Convert.ToString((await source.RowsAsync(connection, "select @@version as v", cancellationToken))[0]["v"]) ?? "";
            var backup = new BackupRecord(id, source.Display, source.UserName, started, DateTimeOffset.UtcNow, position.Text, position.Text,
                0, size, "none",
                int.TryParse(version.Split('.')[0], out var major) ? major : 0)
            {
                Engine = Engines.StoreEngines.MariaDb,
                Kind = kind,
                Reference = reference,
                ReferenceLsn = position.Text,
                ReferenceMethod = MariaDbChecksum.Method,
            };
            repository.Add(backup);
            return backup with { Repository = repository.Root };
        }
        catch
        {
            Directory.Delete(directory, recursive: true);
            throw;
        }
        finally
        {
            await source.ExecuteAsync(connection, replica is null ? "unlock tables" : "start slave sql_thread", CancellationToken.None);
        }
    }

    /// <summary>The schemas the reference covers, with their routines, triggers and events, in one consistent snapshot.</summary>
    private static async Task DumpAsync(MariaDbMember source, MySqlConnection connection, DbChecksum reference, string file,
        CancellationToken cancellationToken)
    {
        // The reference names tables "schema.table", and a schema's name may hold a dot itself: the server's names decide.
        var names = await source.RowsAsync(connection, "select schema_name as s from information_schema.schemata "
            + $"where schema_name not in ({MariaDbChecksum.SystemSchemaList})", cancellationToken);
        var schemas = names.Select(row => (string)row["s"]!)
            .Where(schema => reference.Tables.Any(t => t.Table.StartsWith(MariaDbChecksum.KeyPart(schema) + ".", StringComparison.Ordinal)))
            .ToList();
        if (schemas.Count == 0) throw new DrToolsException($"{source.Display} has no table outside the system schemas: nothing to dump.",
            DrErrorKind.InvalidOperation);
        await CommandRunner.RunAsync(new CommandSpec($"mariadb-dump of {source.Display}", "mariadb-dump",
            ["--no-defaults", "-h", source.Host, "-P", source.Port.ToString(), "-u", source.UserName, "--single-transaction",
             "--routines", "--triggers", "--events", "--hex-blob", $"--result-file={file}", "--databases", "--", .. schemas])
        {
            Environment = new Dictionary<string, string> { ["MYSQL_PWD"] = source.Password },
            Timeout = ToolTimeout,
            Writes = file,
        }, cancellationToken);
    }

    /// <summary>mariadb-backup reads the data files: the member must be on this machine (a sandbox's).</summary>
    internal static async Task CopyAsync(MariaDbMember source, string directory, CancellationToken cancellationToken)
    {
        var credentials = Path.Combine(Path.GetDirectoryName(directory)!, ".client.cnf");
        AtomicFile.Write(credentials, $"[client]\nuser={source.UserName}\npassword={source.Password}\n",
            UnixFileMode.UserRead | UnixFileMode.UserWrite);
        ServerAccount.Current.Own(credentials);
        try
        {
            await CommandRunner.RunAsync(new CommandSpec($"mariadb-backup of {source.Display}", "mariadb-backup",
                [$"--defaults-extra-file={credentials}", "--backup", $"--target-dir={directory}", "-H", source.Host, "-P",
                    source.Port.ToString(), "--protocol=TCP"])
            {
                AsServerAccount = true,
                Timeout = ToolTimeout,
                Writes = directory,
            }, cancellationToken);
        }
        finally
        {
            File.Delete(credentials);
        }
    }

    /// <summary>
    /// Restores a backup into a new isolated instance and compares its checksums with the reference: PASS, or FAIL
    /// naming the fault (a truncated dump, an edited row, a damaged copy). Never touches the source.
    /// </summary>
    public static async Task<BackupVerificationResult> VerifyAsync(BackupRepository repository, BackupRecord backup,
        BackupVerificationOptions options, CancellationToken cancellationToken)
    {
        var verification = new Engines.EngineBackups.Verification(backup, new MonotonicClock(), options);
        try
        {
            options.Progress.Enter($"restore of the {backup.Kind} into a new instance", 10);
            try
            {
                verification.Instance = await RestoreAsync(repository, backup, options.Root, options.KeepInstance, cancellationToken);
                var restored = ((MariaDbCluster)MariaDbEngine.Instance.Cluster(verification.Instance)).Members[0];
                await verification.CompareAsync(token => MariaDbChecksum.TakeAsync(restored, null, token), $"GTID {backup.ReferenceLsn}",
                    cancellationToken);
                if (verification.Integrity is { Failed: true } integrity)
                {
                    verification.Reason += $" ({Holding(backup, integrity.Differences.Select(d => d.Table))})";
                }
                else
                {
                    options.Progress.Enter("integrity: CHECK TABLE and every secondary index against its rows", 90);
                    if (await MariaDbTableCheck.CheckAsync(restored, cancellationToken) is { } fault)
                    {
                        verification.Reason = $"integrity: {fault} ({Holding(backup, [fault.Split(':')[0]])})";
                    }
                }
                verification.Checking = verification.Clock.Elapsed - verification.Restored!.Value;
            }
            // A full or read-only disk where the instance is restored is an error (exit 2), never a FAIL of the backup.
            catch (DrToolsException e) when (!cancellationToken.IsCancellationRequested && !AtomicFile.IsDiskProblem(e.InnerException))
            {
                DiskRoom.ThrowIfRestoreStopped(verification.Instance?.Directory, e);
                // The server names a table it cannot read (`shop`.`customers` is corrupted): name the file it came from too.
                var table = ServerNamedTable().Match(e.Message);
                var named = table.Success ? MariaDbChecksum.Key(table.Groups[1].Value, table.Groups[2].Value) : null;
                verification.Reason ??= $"restore: {e.Message}"
                    + (backup.Kind == Physical && named is not null ? $" ({Holding(backup, [named])})" : "");
            }
        }
        finally
        {
            await verification.RemoveInstanceAsync();
        }
        return verification.Result(backup.Kind == Dump
                ? "a new MariaDB instance (mariadb-install-db, start), then the dump fed to the mariadb client, on one monotonic clock"
                : "mariadb-backup --prepare of a copy, then a new MariaDB instance started on it, on one monotonic clock",
            $"{MariaDbChecksum.Method}; then {MariaDbTableCheck.Method}", $"GTID {backup.EndLsn} (the backup's own position)");
    }

    /// <summary>The files the differing tables came from: their tablespaces in a physical copy, else the dump.</summary>
    private static string Holding(BackupRecord backup, IEnumerable<string> tables)
    {
        if (backup.Kind != Physical) return $"restored from {DumpFile}";
        var files = tables.Select(t => t.Split('.', 2)).Where(t => t.Length == 2)
            .Select(t => $"{Physical}/{t[0]}/{t[1]}.ibd").ToList();
        return files.Count > 0 ? $"restored from {string.Join(", ", files)}" : $"restored from {Physical}/";
    }

    /// <summary>
    /// A new one-member MariaDB sandbox holding the backup's data; removed again when this fails. A file that differs
    /// from the backup's files.sha256 is named before anything is restored.
    /// </summary>
    internal static async Task<Sandbox> RestoreAsync(BackupRepository repository, BackupRecord backup, string? root, bool keep,
        CancellationToken cancellationToken)
    {
        var directory = repository.BackupDirectory(backup.Id);
        if (Engines.BackupFiles.Check(directory) is { } damaged)
        {
            throw new DrToolsException($"the files of backup {backup.Id} are not as taken: {damaged}.", DrErrorKind.InvalidOperation);
        }
        var instance = Engines.EngineBackups.NewInstance(Engines.StoreEngines.MariaDb, root, keep);
        try
        {
            if (backup.Kind == Physical)
            {
                var copy = Path.Combine(instance.Directory, "prepared");
                await CommandRunner.RunAsync(new CommandSpec($"copy of backup {backup.Id}", "cp", ["-a", Path.Combine(directory, Physical),
                    copy]), cancellationToken);
                ServerAccount.Current.OwnTree(copy);
                await CheckPagesAsync(copy, Path.Combine(directory, Physical), cancellationToken);
                await PrepareAsync(copy, Path.Combine(directory, Physical), instance.Directory, cancellationToken);
                await MariaDbEngine.AddServerAsync(instance, "restored", 1, synchronous: false, copy, cancellationToken);
                return instance;
            }
            var file = Path.Combine(directory, DumpFile);
            CheckComplete(file);
            var member = await MariaDbEngine.AddServerAsync(instance, "restored", 1, synchronous: false, null, cancellationToken);
            await LoadAsync(instance, member, file, cancellationToken);
            return instance;
        }
        catch (Exception e)
        {
            try
            {
                if (e is DrToolsException failure && !cancellationToken.IsCancellationRequested)
                {
                    DiskRoom.ThrowIfRestoreStopped(instance.Directory, failure);
                }
            }
            finally
            {
                await instance.DisposeAsync();
            }
            throw;
        }
    }

    /// <summary>
    /// mariadb-backup --prepare: applies the copy's redo log so a server can start on it. Its recovery takes a record whose
    /// checksum fails for the end of the log and still says "completed OK": a log that ends before the copy's last LSN
    /// (xtrabackup_checkpoints) lost every change after that record. <paramref name="shownAs"/> is the copy as messages name it.
    /// </summary>
    internal static async Task PrepareAsync(string copy, string shownAs, string workingDirectory, CancellationToken cancellationToken)
    {
        var log = Path.Combine(shownAs, "ib_logfile0");
        // Read before the prepare, which rewrites the file. MariaDB 11 names it mariadb_backup_checkpoints.
        var checkpoints = new[] { "xtrabackup_checkpoints", "mariadb_backup_checkpoints" }
            .Select(f => Path.Combine(copy, f)).FirstOrDefault(File.Exists);
        var recorded = LastLsn().Match(checkpoints is null ? "" : File.ReadAllText(checkpoints));
        if (!recorded.Success)
        {
            var named = Path.Combine(shownAs, Path.GetFileName(checkpoints) ?? "xtrabackup_checkpoints");
            throw new DrToolsException($"{named} is missing or damaged: it has no last_lsn, so whether the redo log was replayed "
                + "to the copy's end cannot be told.", DrErrorKind.InvalidOperation);
        }
        var last = recorded.Groups[1].Value;
        var prepare = new CommandSpec($"mariadb-backup --prepare of {copy}", "mariadb-backup", ["--prepare", $"--target-dir={copy}"])
        {
            AsServerAccount = true,
            WorkingDirectory = workingDirectory,
            Timeout = ToolTimeout,
            RequireSuccess = false,
        };
        var result = await CommandRunner.RunAsync(prepare, cancellationToken);
        var lines = (result.StandardOutput + "\n" + result.StandardError)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (result.ExitCode != 0)
        {
            var errors = lines.Where(l => l.Contains("[ERROR]", StringComparison.Ordinal)).Take(2).ToList();
            var redo = errors.Any(e =>
                e.Contains("Log scan aborted", StringComparison.Ordinal) || e.Contains("FILE_CHECKPOINT", StringComparison.Ordinal));
            var why = string.Join(" | ", errors.Count > 0 ? errors : lines.TakeLast(3));
            throw new DrToolsException($"mariadb-backup --prepare of {shownAs} failed (exit code {result.ExitCode})"
                + $"{(redo ? $": its redo log {log} is damaged" : "")}: {why}", DrErrorKind.ExternalCommandFailed);
        }
        var end = lines.Select(l => EndOfLog().Match(l)).LastOrDefault(m => m.Success)?.Groups[1].Value;
        static ulong Lsn(string text) => ulong.Parse(text, CultureInfo.InvariantCulture);
        if (end is not null && Lsn(end) < Lsn(last))
        {
            throw new DrToolsException($"mariadb-backup --prepare of {shownAs}: its redo log {log} ends at LSN {end}, before the copy's "
                + $"last LSN {last} ({Path.GetFileName(checkpoints)}): "
                + "a damaged record ended the recovery early, without the changes after it.",
                DrErrorKind.ExternalCommandFailed);
        }
    }

    /// <summary>
    /// innochecksum of every tablespace in the copy (each table's .ibd, the undo tablespaces, ibdata1 but for its
    /// doublewrite buffer: see <see cref="InnoDbSystemTablespace"/>), before the prepare writes to them: a page whose
    /// checksum fails is named by its file, which the server would only find when something reads that page.
    /// <paramref name="shownAs"/> is the copy as messages name it.
    /// </summary>
    internal static async Task CheckPagesAsync(string copy, string shownAs, CancellationToken cancellationToken)
    {
        // Each check is a file and the pages to read (innochecksum's -s and -e; none for all of them).
        var checks = Directory.EnumerateFiles(copy, "*.ibd", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(copy, "undo*")).Order(StringComparer.Ordinal)
            .SelectMany(f => new[] { f, "" }).ToList();
        var system = Path.Combine(copy, InnoDbSystemTablespace.FileName);
        if (File.Exists(system))
        {
            checks.AddRange(InnoDbSystemTablespace.PagesOutsideDoublewrite(system) is { } ranges
                ? ranges.SelectMany(r => new[] { system, $"-s {r.First} -e {r.Last}" })
                : [system, ""]);
        }
        if (checks.Count == 0) return;
        // One shell for all (innochecksum reads one file a run); it stops at the first that fails, printing its name first.
        var result = await CommandRunner.RunAsync(new CommandSpec($"innochecksum of {shownAs}", "sh",
            ["-c", "while [ $# -gt 0 ]; do f=$1; pages=$2; shift 2; "
                + "out=$(innochecksum $pages \"$f\" 2>&1) || { printf '%s\n%s\n' \"$f\" \"$out\"; exit 1; }; done", "sh", .. checks])
        {
            Timeout = ToolTimeout,
            RequireSuccess = false,
        }, cancellationToken);
        if (result.ExitCode == 0) return;
        var lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var file = lines.Length > 0 && lines[0].StartsWith(copy, StringComparison.Ordinal)
            ? Path.Combine(shownAs, Path.GetRelativePath(copy, lines[0])) : shownAs;
        throw new DrToolsException($"innochecksum of {file} failed: {string.Join(" | ", lines.Skip(1).Take(3))}",
            DrErrorKind.InvalidOperation);
    }

    [GeneratedRegex(@"`([^`]+)`\.`([^`]+)`")]
    private static partial Regex ServerNamedTable();

    [GeneratedRegex(@"End of log at LSN=(\d+)")]
    private static partial Regex EndOfLog();

    [GeneratedRegex(@"(?m)^last_lsn = (\d+)$")]
    private static partial Regex LastLsn();

    /// <summary>mariadb-dump ends every complete dump with its trailer: a file without one was cut short.</summary>
    private static void CheckComplete(string file)
    {
        if (!File.Exists(file)) throw new DrToolsException($"{file} is missing.", DrErrorKind.InvalidOperation);
        using var stream = File.OpenRead(file);
        stream.Seek(Math.Max(0, stream.Length - 4096), SeekOrigin.Begin);
        var tail = new StreamReader(stream).ReadToEnd();
        if (!tail.Contains(DumpTrailer, StringComparison.Ordinal))
        {
            throw new DrToolsException($"{file} is truncated: it does not end with mariadb-dump's '{DumpTrailer}' trailer "
                + $"({new FileInfo(file).Length} bytes).", DrErrorKind.InvalidOperation);
        }
    }

    /// <summary>
    /// Feeds a SQL file to the mariadb client, outside the binlog, as the user restores it by hand (in its sandbox mode).
    /// </summary>
    internal static Task LoadAsync(Sandbox instance, SandboxMember member, string file, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(new CommandSpec($"mariadb < {Path.GetFileName(file)}", "sh",
            // --sandbox: a dump is data, and a \! or system line in one (its own sandbox line removed) must not run a command.
            ["-c", "exec mariadb --no-defaults --sandbox -h 127.0.0.1 -P \"$1\" -u \"$2\" --init-command='set sql_log_bin = 0' < \"$3\"",
                "sh", member.Port.ToString(), Sandbox.UserName, file])
        {
            Environment = new Dictionary<string, string> { ["MYSQL_PWD"] = instance.Password },
            Timeout = ToolTimeout,
        }, cancellationToken);
}
