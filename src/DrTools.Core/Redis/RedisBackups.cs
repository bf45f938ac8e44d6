using System.Globalization;
using DrTools.Core.Backups;
using DrTools.Core.Integrity;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Redis;

/// <summary>
/// Redis backups into a DrTools repository: an RDB snapshot (BGSAVE) or the append-only files after a rewrite
/// (BGREWRITEAOF), each with the key digests as the reference a restore must show. The primary's writes are paused
/// (CLIENT PAUSE WRITE) from the reference until the snapshot is fixed, so both describe the same data; reads go on.
/// The server's files are read where it keeps them: a member on this machine (a sandbox's).
/// </summary>
public static partial class RedisBackups
{
    public const string Rdb = "rdb", Aof = "aof";
    private const string RdbFile = "dump.rdb", AofDirectory = "appendonlydir";
    private static readonly TimeSpan SaveTimeout = TimeSpan.FromMinutes(30);

    public static async Task<BackupRecord> CreateAsync(RedisCluster cluster, BackupRepository repository, string? kind,
        CancellationToken cancellationToken)
    {
        kind ??= Rdb;
        if (kind is not (Rdb or Aof)) throw new DrToolsException($"backup kind '{kind}': a Redis backup is {Rdb} (BGSAVE) or {Aof} "
            + $"(BGREWRITEAOF).", DrErrorKind.InvalidArgument);
        var status = await cluster.GetStatusAsync(cancellationToken);
        var primary = cluster.Member(status.Primary?.Name ?? throw new DrToolsException($"backup of {cluster.Name}: {status.Verdict}",
            DrErrorKind.InvalidOperation));
        // One backup of a server at a time, whichever process takes it: CLIENT UNPAUSE ends every client's pause, so another
        // backup's end let writes in under this one's snapshot, and its BGSAVE was refused while the other's ran.
        using var serialised = await MachineMutex.AcquireAsync($"redis-backup-{primary.Host}:{primary.Port}", SaveTimeout,
            () => $"{primary.Display}: another backup of it held the server for {DurationText.Format(SaveTimeout)}.", cancellationToken);
        var (id, directory) = Engines.EngineBackups.NewBackup(repository);
        var started = DateTimeOffset.UtcNow;
        await using var connection = await primary.OpenAsync(cancellationToken, checkClusterMode: true);
        var dataDirectory = ConfigValue(await primary.CommandAsync(connection, cancellationToken, "CONFIG", "GET", "dir"));
        await primary.CommandAsync(connection, cancellationToken, "CLIENT", "PAUSE",
            ((long)SaveTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), "WRITE");
        try
        {
            // A save or rewrite the server already runs (a replica's full sync, its own save rules) began before the pause:
            // BGSAVE is refused meanwhile and BGREWRITEAOF only scheduled, so ours starts once it ended.
            await WaitIdleAsync(primary, connection, cancellationToken);
            var offset = (await connection.InfoAsync("replication", cancellationToken)).GetValueOrDefault("master_repl_offset") ?? "0";
            var reference = await RedisChecksum.TakeAsync(primary, null, cancellationToken);
            if (kind == Rdb)
            {
                // rdb_saves (Redis 7) counts the snapshots; the last save's time has a resolution of a second, and one taken in the
                // second the server started would never change it.
                var before = Saves(await connection.InfoAsync("persistence", cancellationToken));
                // A replica's full sync may still start a save of its own between the wait and the command.
                while (!await StartedAsync(primary, connection, cancellationToken, "BGSAVE"))
                {
                    await WaitIdleAsync(primary, connection, cancellationToken);
                }
                await WaitAsync(primary, connection, "rdb_bgsave_in_progress", "rdb_last_bgsave_status", async ()
                    => Saves(await connection.InfoAsync("persistence", cancellationToken)) != before, cancellationToken);
                var file = ConfigValue(await primary.CommandAsync(connection, cancellationToken, "CONFIG", "GET", "dbfilename"));
                AtomicFile.Copy(Path.Combine(dataDirectory, file), Path.Combine(directory, RdbFile));
            }
            else
            {
                await primary.CommandAsync(connection, cancellationToken, "BGREWRITEAOF");
                await WaitAsync(primary, connection, "aof_rewrite_in_progress", "aof_last_bgrewrite_status", () => Task.FromResult(true),
                    cancellationToken);
                var aof = ConfigValue(await primary.CommandAsync(connection, cancellationToken, "CONFIG", "GET", "appenddirname"));
                await CommandRunner.RunAsync(new CommandSpec($"copy of {primary.Display}'s {aof}", "cp",
                    ["-a", Path.Combine(dataDirectory, aof), Path.Combine(directory, AofDirectory)]), cancellationToken);
            }
            Engines.BackupFiles.Write(directory);
            var server = await connection.InfoAsync("server", cancellationToken);
            var backup = new BackupRecord(id, primary.Display, "default", started, DateTimeOffset.UtcNow, offset, offset, 0,
                new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length), "none",
                int.TryParse(server.GetValueOrDefault("redis_version")?.Split('.')[0], out var major) ? major : 0)
            {
                Engine = Engines.StoreEngines.Redis,
                Kind = kind,
                Reference = reference,
                ReferenceLsn = offset,
                ReferenceMethod = RedisChecksum.Method,
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
            await primary.CommandAsync(connection, CancellationToken.None, "CLIENT", "UNPAUSE");
        }
    }

    private static Task WaitIdleAsync(RedisMember primary, RedisConnection connection, CancellationToken cancellationToken) =>
        Polling.RequireAsync(async () => Idle(await connection.InfoAsync("persistence", cancellationToken)), SaveTimeout,
            TimeSpan.FromMilliseconds(20),
            () => $"{primary.Display}: a background save already running did not finish within {DurationText.Format(SaveTimeout)}.",
            cancellationToken);

    /// <summary>False when Redis refused the command because a background save is running (it is then waited for).</summary>
    private static async Task<bool> StartedAsync(RedisMember primary, RedisConnection connection, CancellationToken cancellationToken,
        params string[] command)
    {
        try
        {
            await primary.CommandAsync(connection, cancellationToken, command);
            return true;
        }
        catch (DrToolsException e) when (e.InnerException is RedisErrorException
            && e.Message.Contains("already in progress", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
    }

    private static bool Idle(IReadOnlyDictionary<string, string> persistence) =>
        new[] { "rdb_bgsave_in_progress", "aof_rewrite_in_progress", "aof_rewrite_scheduled" }
            .All(field => persistence.GetValueOrDefault(field) is null or "0");

    private static string? Saves(IReadOnlyDictionary<string, string> persistence) =>
        persistence.GetValueOrDefault("rdb_saves") ?? persistence.GetValueOrDefault("rdb_last_save_time");

    private static string ConfigValue(object? reply) => (reply as object?[])?.ElementAtOrDefault(1) as string
        ?? throw new DrToolsException("CONFIG GET returned no value.", DrErrorKind.InvalidOperation);

    /// <summary>Waits for a background save or rewrite to end, and fails with Redis' own status when it did not succeed.</summary>
    private static async Task WaitAsync(RedisMember primary, RedisConnection connection, string inProgress, string lastStatus,
        Func<Task<bool>> done, CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<string, string> persistence = new Dictionary<string, string>();
        await Polling.RequireAsync(async () => (persistence = await connection.InfoAsync("persistence",
            cancellationToken)).GetValueOrDefault(inProgress) == "0" && await done(),
            SaveTimeout, TimeSpan.FromMilliseconds(20), ()
                => $"{primary.Display}: the background save did not finish within {DurationText.Format(SaveTimeout)}.", cancellationToken);
        if (persistence.GetValueOrDefault(lastStatus) != "ok") throw new DrToolsException($"{primary.Display}: the background save failed "
            + $"({lastStatus}: {persistence.GetValueOrDefault(lastStatus)}).", DrErrorKind.ExternalCommandFailed);
    }

    /// <summary>
    /// Checks the files (redis-check-rdb or redis-check-aof), loads them into a new isolated redis-server and compares
    /// its key digests with the reference: PASS, or FAIL naming the fault. Never touches the source.
    /// </summary>
    public static async Task<BackupVerificationResult> VerifyAsync(BackupRepository repository, BackupRecord backup,
        BackupVerificationOptions options, CancellationToken cancellationToken)
    {
        var verification = new Engines.EngineBackups.Verification(backup, new MonotonicClock(), options);
        var directory = repository.BackupDirectory(backup.Id);
        try
        {
            options.Progress.Enter($"{(backup.Kind == Aof ? "redis-check-aof" : "redis-check-rdb")} of the backup's files", 5);
            var checkedPath = backup.Kind == Aof ? Manifest(directory) : Path.Combine(directory, RdbFile);
            var check = new CommandSpec($"{(backup.Kind == Aof ? "redis-check-aof" : "redis-check-rdb")} of backup {backup.Id}",
                backup.Kind == Aof ? "redis-check-aof" : "redis-check-rdb", [checkedPath]);
            var damaged = Engines.BackupFiles.Check(directory) ?? (backup.Kind == Aof ? Unlisted(directory) : null);
            var checkedFiles = damaged is null
                ? await CommandRunner.RunAsync(check with { RequireSuccess = false }, cancellationToken)
                : null;
            if (damaged is not null) verification.Reason = $"files: {damaged}";
            else if (checkedFiles!.ExitCode != 0)
            {
                verification.Reason = $"{check.FileName}: {Checked(directory, checkedPath, checkedFiles)}: {Summary(checkedFiles)}";
            }
            else
            {
                options.Progress.Enter("loading it into a new redis-server", 30);
                try
                {
                    var instance = verification.Instance = Engines.EngineBackups.NewInstance(Engines.StoreEngines.Redis, options);
                    var member = instance.AddMember("restored");
                    Directory.CreateDirectory(member.DataDirectory);
                    if (backup.Kind == Aof)
                    {
                        await CommandRunner.RunAsync(new CommandSpec("copy of the append-only files", "cp",
                            ["-a", Path.Combine(directory, AofDirectory), Path.Combine(member.DataDirectory, AofDirectory)]),
                            cancellationToken);
                    }
                    else AtomicFile.Copy(Path.Combine(directory, RdbFile), Path.Combine(member.DataDirectory, RdbFile));
                    var server = await RedisEngine.StartRestoredAsync(instance, member, appendOnly: backup.Kind == Aof, cancellationToken);
                    await verification.CompareAsync(token => RedisChecksum.TakeAsync(server, null, token),
                        $"offset {backup.ReferenceLsn}, loaded from {Loaded(directory, backup.Kind)}", cancellationToken);
                }
                // A full or read-only disk where the instance is restored is an error (exit 2), never a FAIL of the backup.
                catch (DrToolsException e) when (!cancellationToken.IsCancellationRequested && !AtomicFile.IsDiskProblem(e.InnerException))
                {
                    DiskRoom.ThrowIfRestoreStopped(verification.Instance?.Directory, e);
                    verification.Reason ??= $"restore: {e.Message}";
                }
            }
        }
        finally
        {
            await verification.RemoveInstanceAsync();
        }
        return verification.Result($"the file check, then a new redis-server loading the {backup.Kind?.ToUpperInvariant()} until INFO says "
            + $"loading:0, on one monotonic clock",
            RedisChecksum.Method, $"offset {backup.EndLsn} (the snapshot's own)");
    }

    /// <summary>The files a restore loads, as the backup's folder names them.</summary>
    private static string Loaded(string directory, string? kind) => kind != Aof ? RdbFile
        : string.Join(", ", Directory.GetFiles(Path.Combine(directory, AofDirectory))
            .Select(f => Path.GetRelativePath(directory, f)).Order(StringComparer.Ordinal));

    /// <summary>The file a check tool found fault with: the RDB it was reading (an AOF's base), else the one it was given.</summary>
    private static string Checked(string directory, string given, CommandResult result)
    {
        var folder = Directory.Exists(given) ? given : Path.GetDirectoryName(given)!;
        var reading = CheckingRdb().Matches(result.StandardOutput + result.StandardError).LastOrDefault();
        return Path.GetRelativePath(directory, reading is null ? given : Path.Combine(folder, reading.Groups[1].Value));
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\d+:[A-Z] [^#]*# ?")]
    private static partial System.Text.RegularExpressions.Regex LogPrefix();

    [System.Text.RegularExpressions.GeneratedRegex(@"Checking RDB file (\S+)")]
    private static partial System.Text.RegularExpressions.Regex CheckingRdb();

    /// <summary>A file of appendonlydir/ its manifest does not name: a manifest cut short or edited, whose load skips that file.</summary>
    private static string? Unlisted(string directory)
    {
        var manifest = Manifest(directory);
        if (!File.Exists(manifest)) return $"{AofDirectory}/ has no manifest";
        var named = File.ReadAllLines(manifest).Select(l => l.Split(' ')).Where(p => p.Length > 1 && p[0] == "file")
            .Select(p => p[1]).ToHashSet(StringComparer.Ordinal);
        var unlisted = Directory.GetFiles(Path.Combine(directory, AofDirectory)).Select(f => Path.GetFileName(f))
            .Where(f => !f.EndsWith(".manifest", StringComparison.Ordinal) && !named.Contains(f)).Order(StringComparer.Ordinal).ToList();
        return unlisted.Count == 0 ? null
            : $"{AofDirectory}/{unlisted[0]} is not named in {Path.GetRelativePath(directory, manifest)}: "
              + "a manifest cut short or edited (a load would skip the file)";
    }

    private static string Manifest(string directory) =>
        Directory.Exists(Path.Combine(directory, AofDirectory))
            ? Directory.GetFiles(Path.Combine(directory, AofDirectory), "*.manifest").FirstOrDefault()
                ?? Path.Combine(directory, AofDirectory)
            : Path.Combine(directory, AofDirectory);

    /// <summary>
    /// What a check tool said went wrong, in one line. After a FATAL banner come the place, the line it read (a
    /// manifest's entry naming its file) and the reason: those, each without its log prefix (pid:C date #).
    /// </summary>
    private static string Summary(CommandResult result)
    {
        var lines = (result.StandardOutput + "\n" + result.StandardError).Split('\n',
            StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var fatal = Array.FindIndex(lines, l => l.Contains("FATAL", StringComparison.Ordinal));
        var after = lines.Skip(fatal + 1).Select(l => LogPrefix().Replace(l, "")).Where(l => l.Length > 0).Take(3).ToList();
        if (fatal >= 0 && after.Count > 0) return $"{LogPrefix().Replace(lines[fatal], "")} {string.Join(" | ", after)}";
        var telling = lines.Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase) || l.Contains("corrupt",
            StringComparison.OrdinalIgnoreCase) || l.Contains("Unexpected", StringComparison.OrdinalIgnoreCase)
            || l.Contains("not valid", StringComparison.OrdinalIgnoreCase)).Take(3).ToList();
        return string.Join(" | ", telling.Count > 0 ? telling : lines.TakeLast(3));
    }
}
