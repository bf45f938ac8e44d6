using DrTools.Core.Backups;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Engines;

/// <summary>
/// A store DrTools drills (PostgreSQL, MariaDB, Redis): how its sandboxes are built and run, how its clusters are
/// reached, and what it can do with backups — archive, point-in-time recovery, verification. A new store is a folder
/// with one of these (and its <see cref="IDrillTarget"/>), listed in <see cref="StoreEngines.All"/>.
/// </summary>
public interface IStoreEngine
{
    /// <summary>The name targets and runbooks use (mariadb).</summary>
    string Name { get; }
    /// <summary>The name people write (MariaDB).</summary>
    string DisplayName { get; }
    /// <summary>The words users may give for it, lower case (mariadb, mysql).</summary>
    IReadOnlyList<string> Aliases { get; }

    /// <summary>Refuses, before anything is created, what this engine's sandboxes cannot have.</summary>
    void CheckSandboxOptions(SandboxOptions options);

    /// <summary>The PostgreSQL binaries its sandboxes run; null where the engine starts servers of its own.</summary>
    Postgres.PgBinaries? SandboxBinaries(SandboxOptions options) => null;

    /// <summary>The account a sandbox's applications (and the drills' probes) use, when it is not the admin.</summary>
    string? ApplicationUser => null;

    /// <summary>Builds a primary and <see cref="SandboxOptions.Standbys"/> replicas into a reserved sandbox on 127.0.0.1.</summary>
    Task BuildSandboxAsync(Sandbox sandbox, SandboxOptions options, CancellationToken cancellationToken);

    /// <summary>
    /// A sandbox's members as a cluster DrTools may drill, with their processes, each given up on after <paramref name="connectTimeout"/>.
    /// </summary>
    IDrillTarget Cluster(Sandbox sandbox, TimeSpan? connectTimeout = null);

    /// <summary>A cluster given by connection strings (one per member), allowed for drills only on the members named.</summary>
    IDrillTarget FromConnectionStrings(IReadOnlyList<string> connectionStrings, string? userName, string? password,
        TimeSpan? connectTimeout, IReadOnlyCollection<string>? allowDrillOn);

    /// <summary>The PID of a sandbox member's server while it is alive.</summary>
    int? Pid(SandboxMember member);

    /// <summary>The kinds of backup the engine takes, the default first (base; dump, physical; rdb, aof).</summary>
    IReadOnlyList<string> BackupKinds { get; }

    /// <summary>Takes a backup of <paramref name="cluster"/> into the repository, with the reference a restore must show; a kind
    /// it does not take is refused, naming those it does.</summary>
    Task<BackupRecord> BackupAsync(IDrillTarget cluster, BackupRepository repository, string? kind, BackupOptions options,
        CancellationToken cancellationToken);

    /// <summary>Restores a backup into a new isolated instance and verifies it against its reference.</summary>
    Task<BackupVerificationResult> VerifyBackupAsync(BackupRepository repository, BackupRecord backup, BackupVerificationOptions options,
        CancellationToken cancellationToken);

    /// <summary>
    /// Keeps in the repository what point-in-time recovery replays (PostgreSQL's WAL archived from now on, MariaDB's
    /// binlogs copied now), or refuses where the store has none.
    /// </summary>
    Task<WalArchiveSettings> ArchiveAsync(IDrillTarget cluster, BackupRepository repository, CancellationToken cancellationToken);

    /// <summary>
    /// Point-in-time recovery from the repository's backups into a new isolated instance: to the options' target, or to
    /// <paramref name="targetGtid"/> where positions are GTIDs; refused where the store has none.
    /// </summary>
    Task<PointInTimeResult> RestorePointInTimeAsync(BackupRepository repository, PointInTimeOptions options, string? targetGtid,
        string? backupId, CancellationToken cancellationToken);
}
