using DrTools.Core.Backups;
using DrTools.Core.Engines;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Postgres;

/// <summary>
/// PostgreSQL: sandboxes of a primary and streaming standbys (or Patroni nodes) built by initdb and pg_basebackup, base
/// backups, WAL archiving and point-in-time recovery by WAL replay. Its drills are <see cref="Failover.Recovery"/>'s.
/// </summary>
public sealed class PostgresEngine : IStoreEngine
{
    public static readonly PostgresEngine Instance = new();

    /// <summary>PostgreSQL's one kind of backup (pg_basebackup).</summary>
    public const string BaseBackup = "base";

    public string Name => StoreEngines.PostgreSql;
    public string DisplayName => "PostgreSQL";
    public IReadOnlyList<string> Aliases { get; } = [StoreEngines.PostgreSql, "postgres", "pg"];

    public void CheckSandboxOptions(SandboxOptions options) => Sandbox.CheckPostgresOptions(options);

    public PgBinaries? SandboxBinaries(SandboxOptions options) => options.Binaries ?? PgBinaries.Locate();

    public Task BuildSandboxAsync(Sandbox sandbox, SandboxOptions options, CancellationToken cancellationToken) =>
        sandbox.BuildPostgresAsync(options, cancellationToken);

    public IDrillTarget Cluster(Sandbox sandbox, TimeSpan? connectTimeout = null) => sandbox.TargetWithin(connectTimeout);

    public IDrillTarget FromConnectionStrings(IReadOnlyList<string> connectionStrings, string? userName, string? password,
        TimeSpan? connectTimeout, IReadOnlyCollection<string>? allowDrillOn) =>
        DbTarget.FromConnectionStrings(connectionStrings, userName, password, connectTimeout, allowDrillOn);

    public int? Pid(SandboxMember member) => LocalServer.PidOf(member.DataDirectory);

    public IReadOnlyList<string> BackupKinds { get; } = [BaseBackup];

    public Task<BackupRecord> BackupAsync(IDrillTarget cluster, BackupRepository repository, string? kind, BackupOptions options,
        CancellationToken cancellationToken) => kind is null or BaseBackup
        ? DbBackups.CreateAsync((DbTarget)cluster, repository, options, cancellationToken)
        : throw new DrToolsException($"backup kind '{kind}': a PostgreSQL backup is a base backup (pg_basebackup).",
            DrErrorKind.InvalidArgument);

    public Task<BackupVerificationResult> VerifyBackupAsync(BackupRepository repository, BackupRecord backup,
        BackupVerificationOptions options, CancellationToken cancellationToken) =>
        BackupVerifier.VerifyAsync(repository, options with { BackupId = backup.Id }, cancellationToken);

    public Task<WalArchiveSettings> ArchiveAsync(IDrillTarget cluster, BackupRepository repository,
        CancellationToken cancellationToken) => DbBackups.ConfigureArchivingAsync((DbTarget)cluster, repository, cancellationToken);

    public Task<PointInTimeResult> RestorePointInTimeAsync(BackupRepository repository, PointInTimeOptions options, string? targetGtid,
        string? backupId, CancellationToken cancellationToken) =>
        targetGtid is not null ? throw MariaDb.MariaDbRecoveryTarget.GtidRefusal(Name)
        : backupId is not null ? throw new DrToolsException("a PostgreSQL recovery chooses its backup by the target.",
            DrErrorKind.InvalidArgument)
        : PointInTimeRestore.RestoreAsync(repository, options, cancellationToken);
}
