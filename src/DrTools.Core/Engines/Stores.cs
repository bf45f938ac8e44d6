using DrTools.Core.Cluster;
using DrTools.Core.Integrity;
using DrTools.Core.Postgres;
using DrTools.Core.Replication;

namespace DrTools.Core.Engines;

/// <summary>
/// The operations every store answers, whatever its engine: cmdlets, the CLI and runbooks call these with the target
/// they resolved, and PostgreSQL's own code or the engine's <see cref="IReplicaSet"/> does the work.
/// </summary>
public static class Stores
{
    /// <summary>A cluster of <paramref name="engine"/> given by one connection string (or Redis address) per member.</summary>
    public static IDrillTarget FromConnectionStrings(string engine, IReadOnlyList<string> connectionStrings, string? userName = null,
        string? password = null, TimeSpan? connectTimeout = null,
        IReadOnlyCollection<string>? allowDrillOn = null) =>
        StoreEngines.Get(StoreEngines.Parse(engine)) is { } other
            ? other.FromConnectionStrings(connectionStrings, userName, password, connectTimeout, allowDrillOn)
            : DbTarget.FromConnectionStrings(connectionStrings, userName, password, connectTimeout, allowDrillOn);

    /// <summary>Compares the named member or the primary with the reference (<see cref="IDrillTarget.CompareChecksumAsync"/>).</summary>
    /// <param name="allowEmpty">Nothing in scope (no table in the reference or now) passes; otherwise it is "not checked", not a
    /// PASS.</param>
    public static async Task<ChecksumComparison> CompareChecksumAsync(IDrillTarget target, DbChecksum reference, string? member,
        bool allowEmpty, CancellationToken cancellationToken) =>
        (await target.CompareChecksumAsync(reference, member, cancellationToken)) with { AllowEmpty = allowEmpty };

    /// <summary>The member a query or checksum reads: the one named, or the primary.</summary>
    internal static async Task<string> MemberOrPrimaryAsync(IReplicaSet store, string? member, string purpose,
        CancellationToken cancellationToken)
    {
        if (member is not null)
        {
            return store.Members.FirstOrDefault(m => m.Name == member || m.Endpoint == member)?.Name
                ?? throw new DrToolsException($"'{member}' is not a member of {store.Name} (members: "
                    + $"{string.Join(", ", store.Members.Select(m => m.Display))}).", DrErrorKind.InvalidArgument);
        }
        var status = await store.GetStatusAsync(cancellationToken);
        return status.Primary?.Name
            ?? throw new DrToolsException($"{purpose} on {store.Name}: no single primary ({status.Verdict}); name a member.",
            DrErrorKind.InvalidOperation);
    }

    /// <summary>
    /// What point-in-time recovery replays kept in the repository: PostgreSQL's WAL archived from now on (archive_command),
    /// MariaDB's binlogs copied now from the primary (run it again before a restore); Redis has none.
    /// </summary>
    public static async Task<Backups.WalArchiveSettings> ArchiveAsync(IDrillTarget target, Backups.BackupRepository repository,
        CancellationToken cancellationToken)
    {
        switch (target)
        {
            case DbTarget postgres:
                return await Backups.DbBackups.ConfigureArchivingAsync(postgres, repository, cancellationToken);
            case MariaDb.MariaDbCluster mariadb:
                var logs = await MariaDb.MariaDbPointInTime.ArchiveBinlogsAsync(mariadb, repository, cancellationToken);
                return new Backups.WalArchiveSettings(target.Name, MariaDb.MariaDbPointInTime.BinlogDirectory(repository),
                    $"mariadb-binlog --read-from-remote-server --raw: {logs.Count} binlog(s) copied now, {logs[0]} to {logs[^1]}");
            default:
                throw new DrToolsException($"{target.Name} is a {target.Engine} cluster: it has no log to archive for point-in-time "
                    + $"recovery (take RDB or AOF backups).", DrErrorKind.InvalidArgument);
        }
    }

    /// <summary>A backup of any store: PostgreSQL's base backup (its options), another engine's of <paramref name="kind"/> (default its
    /// first).</summary>
    public static async Task<Backups.BackupRecord> BackupAsync(IDrillTarget target, Backups.BackupRepository repository, string? kind,
        Backups.BackupOptions postgresOptions, CancellationToken cancellationToken)
    {
        if (target is DbTarget postgres)
        {
            if (kind is not null and not StoreEngines.BaseBackup)
            {
                throw new DrToolsException($"backup kind '{kind}': a PostgreSQL backup is a base backup (pg_basebackup).",
                    DrErrorKind.InvalidArgument);
            }
            return await Backups.DbBackups.CreateAsync(postgres, repository, postgresOptions, cancellationToken);
        }
        var engine = StoreEngines.Get(target.Engine)!;
        if (kind is not null
            && !engine.BackupKinds.Contains(kind)) throw new DrToolsException($"backup kind '{kind}': a {engine.DisplayName} backup is "
            + $"{string.Join(" or ", engine.BackupKinds)}.", DrErrorKind.InvalidArgument);
        return await engine.BackupAsync((IReplicaSet)target, repository, kind, cancellationToken);
    }

    /// <summary>Verifies a backup by restore, by the engine that took it.</summary>
    public static Task<Backups.BackupVerificationResult> VerifyBackupAsync(Backups.BackupRepository repository,
        Backups.BackupVerificationOptions options, CancellationToken cancellationToken)
    {
        var backup = repository.Backup(options.BackupId);
        // A folder the restore cannot be made in says nothing of the backup: refused here, never a FAIL of the backup.
        Sandboxes.Sandbox.DemandUsableRoot(options.Root);
        return backup.Engine is { } name
            ? StoreEngines.Get(name)!.VerifyBackupAsync(repository, backup, options, cancellationToken)
            : Backups.BackupVerifier.VerifyAsync(repository, options with { BackupId = backup.Id }, cancellationToken);
    }

    /// <summary>
    /// Point-in-time recovery from the repository's backups: PostgreSQL's by WAL, MariaDB's by binlog replay (to
    /// <paramref name="targetGtid"/> or the options' time); Redis has none and says so.
    /// </summary>
    public static Task<Backups.PointInTimeResult> RestorePointInTimeAsync(Backups.BackupRepository repository,
        Backups.PointInTimeOptions options, string? targetGtid, string? backupId, CancellationToken cancellationToken)
    {
        var engine = backupId is not null ? repository.Backup(backupId).Engine : repository.Backups.LastOrDefault()?.Engine;
        if (targetGtid is not null
            && engine != StoreEngines.MariaDb) throw new DrToolsException($"a target GTID is for MariaDB backups; the repository's are "
            + $"{engine ?? StoreEngines.PostgreSql}'s.", DrErrorKind.InvalidArgument);
        return engine switch
        {
            StoreEngines.MariaDb => MariaDb.MariaDbPointInTime.RestoreAsync(repository, targetGtid is not null
                ? MariaDb.MariaDbRecoveryTarget.ToGtid(targetGtid)
                : options.Target.Kind == "time" ? MariaDb.MariaDbRecoveryTarget.ToTime(DateTimeOffset.Parse(options.Target.Value!,
                    System.Globalization.CultureInfo.InvariantCulture))
                : throw new DrToolsException($"a MariaDB point-in-time recovery goes to a GTID or a time, not to {options.Target}.",
                    DrErrorKind.InvalidArgument), options, backupId, cancellationToken),
            StoreEngines.Redis
                => throw new DrToolsException("Redis has no point-in-time recovery: restore a snapshot instead (Test-DbBackup "
                + "-KeepInstance leaves it running).", DrErrorKind.InvalidArgument),
            _ => Backups.PointInTimeRestore.RestoreAsync(repository, backupId is null ? options
                : throw new DrToolsException("a PostgreSQL recovery chooses its backup by the target.",
                DrErrorKind.InvalidArgument), cancellationToken),
        };
    }

    private static DrToolsException Unknown(IDrillTarget target) => new($"{target.Name}: no operations for engine '{target.Engine}'.",
        DrErrorKind.InvalidArgument);
}
