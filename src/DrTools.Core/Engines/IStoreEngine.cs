using DrTools.Core.Sandboxes;

namespace DrTools.Core.Engines;

/// <summary>
/// A store DrTools fails over itself, beside PostgreSQL (whose sandboxes and drills are DrTools' first ones): how its
/// sandboxes are built and run, and how its clusters are reached. A new store is a folder with one of these, listed
/// in <see cref="StoreEngines"/>.
/// </summary>
public interface IStoreEngine
{
    /// <summary>The name targets and runbooks use (mariadb).</summary>
    string Name { get; }
    /// <summary>The name people write (MariaDB).</summary>
    string DisplayName { get; }

    /// <summary>Builds a primary and <see cref="SandboxOptions.Standbys"/> replicas into a reserved sandbox on 127.0.0.1.</summary>
    Task BuildSandboxAsync(Sandbox sandbox, SandboxOptions options, CancellationToken cancellationToken);

    /// <summary>
    /// A sandbox's members as a cluster DrTools may drill, with their processes, each given up on after <paramref name="connectTimeout"/>.
    /// </summary>
    IReplicaSet Cluster(Sandbox sandbox, TimeSpan? connectTimeout = null);

    /// <summary>A cluster given by connection strings (one per member), allowed for drills only on the members named.</summary>
    IReplicaSet FromConnectionStrings(IReadOnlyList<string> connectionStrings, string? userName, string? password, TimeSpan? connectTimeout,
        IReadOnlyCollection<string>? allowDrillOn);

    /// <summary>The PID of a sandbox member's server while it is alive.</summary>
    int? Pid(SandboxMember member);

    /// <summary>The kinds of backup the engine takes, the default first (dump, physical; rdb, aof).</summary>
    IReadOnlyList<string> BackupKinds { get; }

    /// <summary>Takes a backup of <paramref name="cluster"/> into the repository, with the reference a restore must show.</summary>
    Task<Backups.BackupRecord> BackupAsync(IReplicaSet cluster, Backups.BackupRepository repository, string? kind,
        CancellationToken cancellationToken);

    /// <summary>Restores a backup into a new isolated instance and verifies it against its reference.</summary>
    Task<Backups.BackupVerificationResult> VerifyBackupAsync(Backups.BackupRepository repository, Backups.BackupRecord backup,
        Backups.BackupVerificationOptions options, CancellationToken cancellationToken);
}
