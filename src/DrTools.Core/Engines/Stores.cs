using DrTools.Core.Integrity;

namespace DrTools.Core.Engines;

/// <summary>
/// The operations on a store that go through its engine (<see cref="IStoreEngine"/>): cmdlets, the CLI and runbooks call
/// these with the target or repository they resolved.
/// </summary>
public static class Stores
{
    /// <summary>A cluster of <paramref name="engine"/> given by one connection string (or Redis address) per member.</summary>
    public static IDrillTarget FromConnectionStrings(string engine, IReadOnlyList<string> connectionStrings, string? userName = null,
        string? password = null, TimeSpan? connectTimeout = null,
        IReadOnlyCollection<string>? allowDrillOn = null) =>
        StoreEngines.Get(StoreEngines.Parse(engine)).FromConnectionStrings(connectionStrings, userName, password, connectTimeout,
            allowDrillOn);

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

    /// <summary>What point-in-time recovery replays, kept in the repository by the target's engine.</summary>
    public static Task<Backups.WalArchiveSettings> ArchiveAsync(IDrillTarget target, Backups.BackupRepository repository,
        CancellationToken cancellationToken) => StoreEngines.Get(target.Engine).ArchiveAsync(target, repository, cancellationToken);

    /// <summary>A backup of any store, of <paramref name="kind"/> (default the engine's first); <paramref name="options"/> are what
    /// the engine's backups take (PostgreSQL's compression, reference tables …).</summary>
    public static Task<Backups.BackupRecord> BackupAsync(IDrillTarget target, Backups.BackupRepository repository, string? kind,
        Backups.BackupOptions options, CancellationToken cancellationToken) =>
        StoreEngines.Get(target.Engine).BackupAsync(target, repository, kind, options, cancellationToken);

    /// <summary>Verifies a backup by restore, by the engine that took it.</summary>
    public static Task<Backups.BackupVerificationResult> VerifyBackupAsync(Backups.BackupRepository repository,
        Backups.BackupVerificationOptions options, CancellationToken cancellationToken)
    {
        var backup = repository.Backup(options.BackupId);
        // A folder the restore cannot be made in says nothing of the backup: refused here, never a FAIL of the backup.
        Sandboxes.Sandbox.DemandUsableRoot(options.Root);
        return EngineOf(backup).VerifyBackupAsync(repository, backup, options, cancellationToken);
    }

    /// <summary>
    /// Point-in-time recovery from the repository's backups, by the engine of the backup named (or of the newest):
    /// PostgreSQL's by WAL, MariaDB's by binlog replay (to <paramref name="targetGtid"/> or the options' time); Redis has
    /// none and says so.
    /// </summary>
    public static Task<Backups.PointInTimeResult> RestorePointInTimeAsync(Backups.BackupRepository repository,
        Backups.PointInTimeOptions options, string? targetGtid, string? backupId, CancellationToken cancellationToken)
    {
        var backup = backupId is not null ? repository.Backup(backupId) : repository.Backups.LastOrDefault();
        var engine = backup is null ? StoreEngines.Get(StoreEngines.PostgreSql) : EngineOf(backup);
        return engine.RestorePointInTimeAsync(repository, options, targetGtid, backupId, cancellationToken);
    }

    /// <summary>A backup's engine; a PostgreSQL base backup names none, as before there were others.</summary>
    private static IStoreEngine EngineOf(Backups.BackupRecord backup) => StoreEngines.Get(backup.Engine ?? StoreEngines.PostgreSql);
}
