using System.Security.Cryptography;
using System.Text.Json;
using DrTools.Core.Cluster;
using DrTools.Core.Integrity;
using DrTools.Core.Postgres;
using DrTools.Core.Processes;
using Npgsql;

namespace DrTools.Core.Backups;

/// <summary>Base backups into a repository, WAL archiving into it, restore points.</summary>
public static class DbBackups
{
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(60);
    /// <summary>How long a backup waits for another's reference on the same standby (it reads every database).</summary>
    private static readonly TimeSpan ReferenceWait = TimeSpan.FromMinutes(10);

    /// <summary>Points every member's archive_command at the repository's wal/ folder (the members must already have archive_mode
    /// on).</summary>
    public static async Task<WalArchiveSettings> ConfigureArchivingAsync(DbTarget target, BackupRepository repository,
        CancellationToken cancellationToken)
    {
        target.DemandDrillAllowed("configuring WAL archiving");
        foreach (var member in target.Members)
        {
            var mode = await member.QueryAsync("select current_setting('archive_mode')", r => r.GetString(0), cancellationToken);
            if (mode == "off") throw new DrToolsException($"{member.Display}: archive_mode is off; turn it on (it needs a restart) before "
                + $"archiving into {repository.Root}.", DrErrorKind.InvalidOperation);
            await member.ExecuteAsync($"alter system set archive_command = '{repository.ArchiveCommand.Replace("'", "''")}'; select "
                + $"pg_reload_conf()", cancellationToken);
        }
        return new WalArchiveSettings(target.Name, repository.WalDirectory, repository.ArchiveCommand);
    }

    public static async Task<BackupRecord> CreateAsync(DbTarget target, BackupRepository repository, BackupOptions options,
        CancellationToken cancellationToken)
    {
        var status = await ClusterInspector.GetStatusAsync(target, cancellationToken);
        var primaryStatus = status.Primary
            ?? throw new DrToolsException($"{target.Name}: a backup needs one primary to read from ({status.Verdict}).",
            DrErrorKind.InvalidOperation);
        var primary = target.Member(primaryStatus.Name);
        var binaries = PgBinaries.Locate();
        var id = $"{DateTime.UtcNow:yyyyMMdd'T'HHmmss'Z'}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2))}";
        var directory = repository.BackupDirectory(id);
        var connection = primary.CreateBuilder();
        var compression = options.Compression == BackupCompression.None ? "none" : binaries.MajorVersion >= 15 ? "server-gzip" : "gzip";

        var started = DateTimeOffset.UtcNow;
        try
        {
            await using var walHold = await HoldWalAsync(primary, id, cancellationToken);
            await CommandRunner.RunAsync(new CommandSpec($"pg_basebackup of {primary.Display}", binaries.Tool("pg_basebackup"),
                ["-h", primary.Host, "-p", primary.Port.ToString(), "-U", connection.Username ?? Environment.UserName, "-D", directory,
                    "-Ft", "-X", "stream",
                 "--checkpoint=fast", "--manifest-checksums=SHA256", $"--label=drtools {id}", .. CompressionArguments(compression)])
            {
                AsServerAccount = true,
                WorkingDirectory = repository.Root,
                Writes = directory,
                Environment = connection.Password is { } password ? new Dictionary<string, string> { ["PGPASSWORD"] = password }
                    : new Dictionary<string, string>(),
                Timeout = options.Timeout,
            }, cancellationToken);
            var finished = DateTimeOffset.UtcNow;
            var (timeline, startLsn, endLsn) = ReadWalRange(Path.Combine(directory, "backup_manifest"));
            var size = Directory.EnumerateFiles(directory).Sum(f => new FileInfo(f).Length);
            var record = new BackupRecord(id, primary.Display, connection.Username ?? Environment.UserName, started, finished,
                startLsn.ToString(), endLsn.ToString(), timeline, size, compression, binaries.MajorVersion);
            if (options.RecordReference)
            {
                record = await WithReferenceAsync(record, status, target, primary, repository, endLsn, options.ReferenceTables,
                    cancellationToken);
            }
            repository.Add(record);
            return record;
        }
        catch
        {
            // Never a backup folder without its catalog entry: whatever failed (the copy, the WAL it needs, the catalog), it goes.
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// pg_basebackup reserves WAL only when its stream starts, after the backup's start checkpoint: a checkpoint in between
    /// (another backup's) can remove the start segment ("requested WAL segment … has already been removed"). A temporary slot
    /// made first holds WAL from the last checkpoint on, and goes with this session however it ends (a SIGKILL included).
    /// Without a free slot or the right to make one, the backup runs as pg_basebackup alone would.
    /// </summary>
    private static async Task<NpgsqlConnection?> HoldWalAsync(DbMember primary, string backupId, CancellationToken cancellationToken)
    {
        var connection = await primary.OpenAsync(cancellationToken);
        try
        {
            await using var command = new NpgsqlCommand("select pg_create_physical_replication_slot($1, true, true)", connection)
            {
                Parameters = { new() { Value = "drtools_backup_" + backupId.Replace('-', '_').ToLowerInvariant() } },
            };
            await command.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.ConfigurationLimitExceeded
            or PostgresErrorCodes.InsufficientPrivilege)
        {
            await connection.DisposeAsync();
            return null;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static string[] CompressionArguments(string compression) => compression switch
    {
        "server-gzip" => ["--compress=server-gzip"],
        "gzip" => ["-z"],
        _ => [],
    };

    private static (int Timeline, Lsn Start, Lsn End) ReadWalRange(string manifest)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(manifest));
        var ranges = document.RootElement.GetProperty("WAL-Ranges");
        var first = ranges[0];
        var last = ranges[ranges.GetArrayLength() - 1];
        return (last.GetProperty("Timeline").GetInt32(), Lsn.Parse(first.GetProperty("Start-LSN").GetString()!),
            Lsn.Parse(last.GetProperty("End-LSN").GetString()!));
    }

    /// <summary>
    /// The reference a restore of this backup must match, at an LSN a restore can stop at exactly: read on a streaming
    /// standby with WAL replay paused (its data is then exactly the replayed WAL), or, without a standby, on the primary
    /// (exact only when nothing is written meanwhile). The WAL up to that point is archived before the record is kept.
    /// </summary>
    private static async Task<BackupRecord> WithReferenceAsync(BackupRecord record, ClusterStatus status, DbTarget target, DbMember primary,
        BackupRepository repository, Lsn endLsn, IReadOnlyList<string>? tables, CancellationToken cancellationToken)
    {
        var archiveCommand = await primary.QueryAsync("select current_setting('archive_command')", r => r.GetString(0), cancellationToken);
        if (!archiveCommand.Contains(repository.WalDirectory, StringComparison.Ordinal))
        {
            return record with { ReferenceMethod = $"no reference: {primary.Display} does not archive WAL into {repository.WalDirectory} "
                + $"(Enable-DbWalArchive / drtools backup archive), so no restore could reach a reference point" };
        }
        (DbChecksum Reference, Lsn Point, string Method)? read = null;
        var leftPaused = new List<string>();
        foreach (var standby in status.Standbys.Where(s => s.ReplicationState == "streaming"))
        {
            var member = target.Member(standby.Name);
            read = await ReadOnStandbyAsync(target, member, endLsn, record.Id, tables, cancellationToken);
            if (read is not null) break;
            leftPaused.Add(member.Display);
        }
        if (read is null && leftPaused.Count > 0)
        {
            // Read on the primary instead, a reference under writes would fail this sound backup's verification.
            return record with { ReferenceMethod = $"no reference: the replay of {string.Join(", ", leftPaused)} is paused and no "
                + "backup holds it (resume it with select pg_wal_replay_resume()), so no standby could be paused at a point a "
                + "restore can stop at" };
        }
        if (read is null)
        {
            var reference = await ReferenceAsync(primary, tables, cancellationToken);
            read = (reference, Lsn.Parse(reference.Lsn), $"read on the primary {primary.Display} at {reference.Lsn} (no standby to "
                + "pause): exact only if nothing was written meanwhile");
        }
        var (checksums, point, method) = read.Value;
        await ArchiveThroughAsync(primary, repository, point, record.Id, cancellationToken);
        return record with { Reference = checksums, ReferenceLsn = point.ToString(), ReferenceMethod = method };
    }

    /// <summary>
    /// The reference read on <paramref name="member"/> with its replay paused; null when its replay is paused already with
    /// no backup holding it (a backup killed while it read its reference): resuming a pause it did not make is not a
    /// backup's to do, and waiting for that standby to replay would wait out the timeout.
    /// </summary>
    private static async Task<(DbChecksum Reference, Lsn Point, string Method)?> ReadOnStandbyAsync(DbTarget target, DbMember member,
        Lsn endLsn, string backupId, IReadOnlyList<string>? tables, CancellationToken cancellationToken)
    {
        // One reference at a time on a standby, whichever process takes it: another backup's resume in the middle of
        // this one's read left its data past the point recorded (its verification then failed a sound backup).
        using var paused = await MachineMutex.AcquireAsync($"replay-pause-{member.Endpoint}", ReferenceWait,
            () => $"{member.Display}: another backup's reference held its WAL replay paused for {DurationText.Format(ReferenceWait)}.",
            cancellationToken);
        if (await member.QueryAsync("select pg_is_wal_replay_paused()", r => r.GetBoolean(0), cancellationToken)
            && !await ReplayPause.ResumeLeftoverAsync(target, member, cancellationToken)) return null;
        await WaitForReplayAsync(member, endLsn, cancellationToken);
        var pause = await ReplayPause.StartAsync(target, member, backupId, cancellationToken);
        try
        {
            await Polling.RequireAsync(async () => await member.QueryAsync("select pg_get_wal_replay_pause_state()",
                r => r.GetString(0), cancellationToken) == "paused",
                WaitTimeout, TimeSpan.FromMilliseconds(5), ()
                    => $"{member.Display}: WAL replay did not pause within {DurationText.Format(WaitTimeout)}.", cancellationToken);
            var point = await member.QueryAsync("select pg_last_wal_replay_lsn()::text", r => Lsn.Parse(r.GetString(0)), cancellationToken);
            return (await ReferenceAsync(member, tables, cancellationToken), point,
                $"read on standby {member.Display} with WAL replay paused at {point}: exactly the state a restore stopping before "
                + $"{point} must show");
        }
        finally
        {
            await pause.ResumeAsync();
        }
    }

    /// <summary>Without a table list, every database but the templates: a change in any of them must fail a verification.</summary>
    private static Task<DbChecksum> ReferenceAsync(DbMember member, IReadOnlyList<string>? tables, CancellationToken cancellationToken) =>
        tables is { Count: > 0 }
            ? DbChecksums.TakeAsync(member, tables, cancellationToken)
            : DbChecksums.TakeEveryDatabaseAsync(member, cancellationToken);

    private static Task WaitForReplayAsync(DbMember standby, Lsn lsn, CancellationToken cancellationToken) =>
        Polling.RequireAsync(async () => await standby.QueryAsync("select pg_last_wal_replay_lsn()::text", r => Lsn.Parse(r.GetString(0)),
            cancellationToken) >= lsn,
            WaitTimeout, TimeSpan.FromMilliseconds(10), ()
                => $"{standby.Display} did not replay up to {lsn} within {DurationText.Format(WaitTimeout)}.", cancellationToken);

    /// <summary>
    /// Makes the reference point reachable from the archive. A restore that stops before <paramref name="point"/> must read
    /// the record that starts there: a restore point is written so that one exists (an idle server may have none yet, and
    /// after pg_basebackup's segment switch the point sits exactly on a segment boundary), then the segment holding it is
    /// switched out and waited for in the repository.
    /// </summary>
    private static async Task ArchiveThroughAsync(DbMember primary, BackupRepository repository, Lsn point, string backupId,
        CancellationToken cancellationToken)
    {
        await primary.ExecuteAsync($"select pg_create_restore_point('drtools reference {backupId}')", cancellationToken);
        var segment = await primary.QueryAsync($"select pg_walfile_name('{point}'::pg_lsn + 1)", r => r.GetString(0), cancellationToken);
        await ArchiveSegmentAsync(primary, repository, segment, cancellationToken);
    }

    /// <summary>Ends the current WAL segment and waits until <paramref name="segment"/> is in the repository.</summary>
    private static async Task ArchiveSegmentAsync(DbMember primary, BackupRepository repository, string segment,
        CancellationToken cancellationToken)
    {
        await primary.ExecuteAsync("select pg_switch_wal()", cancellationToken);
        // A WAL folder without room for a segment will not take it: said at once rather than after the whole wait.
        bool Archived() => File.Exists(Path.Combine(repository.WalDirectory, segment))
            || (NoRoomForSegment(repository)
                ? throw new DrToolsException(NotArchived(repository, primary, segment), DrErrorKind.InvalidOperation)
                : false);
        await Polling.RequireAsync(() => Task.FromResult(Archived()), WaitTimeout, TimeSpan.FromMilliseconds(20),
            () => NotArchived(repository, primary, segment), cancellationToken);
    }

    private static long FreeSpace(BackupRepository repository) => new DriveInfo(repository.WalDirectory).AvailableFreeSpace;

    private static bool NoRoomForSegment(BackupRepository repository) => FreeSpace(repository) < WalArchive.SegmentSize;

    private static string NotArchived(BackupRepository repository, DbMember primary, string segment) =>
        FreeSpace(repository) is var free && free < WalArchive.SegmentSize
            ? $"WAL segment {segment} cannot be archived into {repository.WalDirectory}: " +
              $"its file system has {SizeText.Format(free)} free, " +
              $"less than one segment ({SizeText.Format(WalArchive.SegmentSize)}); free space there."
            : $"WAL segment {segment} was not archived into {repository.WalDirectory} within {DurationText.Format(WaitTimeout)}: " +
              $"check pg_stat_archiver on {primary.Display}.";

    /// <summary>Creates a named restore point on the primary and records it in the catalog.</summary>
    public static async Task<RestorePointRecord> CreateRestorePointAsync(DbTarget target, BackupRepository repository, string name,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 63)
        {
            throw new DrToolsException($"restore point name '{name}': give 1 to 63 characters.", DrErrorKind.InvalidArgument);
        }
        if (repository.RestorePoints.Any(r => r.Name == name)) throw new DrToolsException($"restore point '{name}' is already in the "
            + $"catalog of {repository.Root}: names "
            + $"must be unique to be a recovery target.", DrErrorKind.InvalidArgument);
        var status = await ClusterInspector.GetStatusAsync(target, cancellationToken);
        var primary = target.Member((status.Primary
            ?? throw new DrToolsException($"{target.Name}: no primary to create a restore point on ({status.Verdict}).",
            DrErrorKind.InvalidOperation)).Name);
        await using var connection = await primary.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("select pg_create_restore_point(@name)::text, "
            + "substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)", connection);
        command.Parameters.AddWithValue("name", name);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var point = new RestorePointRecord(name, reader.GetString(0), Convert.ToInt32(reader.GetString(1), 16), DateTimeOffset.UtcNow);
        await reader.DisposeAsync();
        // A restore point is a recovery target only once its WAL is archived: when the cluster archives into this
        // repository, wait for it (pg_walfile_name of a record's end names the segment holding the record).
        if (await primary.QueryAsync("select current_setting('archive_command')", r => r.GetString(0),
            cancellationToken) is { } archiveCommand
            && archiveCommand.Contains(repository.WalDirectory, StringComparison.Ordinal))
        {
            var segment = await primary.QueryAsync($"select pg_walfile_name('{point.Lsn}'::pg_lsn)", r => r.GetString(0),
                cancellationToken);
            await ArchiveSegmentAsync(primary, repository, segment, cancellationToken);
        }
        repository.Add(point);
        return point;
    }
}
