using DrTools.Core.Backups;
using DrTools.Core.Integrity;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Engines;

/// <summary>What the MariaDB and Redis backups share: a new backup's folder, and the verification result of a restore into a new
/// instance.</summary>
internal static class EngineBackups
{
    /// <summary>A new backup id (as PostgreSQL's are named) and its folder in the repository, given to the server account.</summary>
    public static (string Id, string Directory) NewBackup(BackupRepository repository)
    {
        var id = $"{DateTime.UtcNow:yyyyMMdd'T'HHmmss'Z'}-"
            + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(2));
        var directory = repository.BackupDirectory(id);
        AtomicFile.MakeFolder(directory, "the backup's folder");
        ServerAccount.Current.Own(directory);
        return (id, directory);
    }

    /// <summary>A new one-member sandbox of <paramref name="engine"/> for a restored backup, owned by this process unless kept.</summary>
    public static Sandbox NewInstance(string engine, BackupVerificationOptions options) => NewInstance(engine, options.Root,
        options.KeepInstance);

    public static Sandbox NewInstance(string engine, string? root, bool keep) =>
        Sandbox.Reserve(root, null, persistent: keep,
            password: Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12)), restored: true,
            engine: engine, applicationUser: StoreEngines.Get(engine).ApplicationUser);

    /// <summary>What a verification found, timed on its clock: the restore, the checksums against the reference, the total against the
    /// RTO.</summary>
    public sealed record Verification(BackupRecord Backup, MonotonicClock Clock, BackupVerificationOptions Options)
    {
        public string? Reason { get; set; }
        public ChecksumComparison? Integrity { get; set; }
        public TimeSpan? Restored { get; set; }
        public TimeSpan Checking { get; set; }
        public Sandbox? Instance { get; set; }

        /// <summary>Compares the restored data with the backup's reference; a difference is the reason it fails.</summary>
        public async Task CompareAsync(Func<CancellationToken, Task<DbChecksum>> checksum, string position,
            CancellationToken cancellationToken)
        {
            Restored = Clock.Elapsed;
            if (Backup.Reference is not { } reference) return;
            Options.Progress.Enter("integrity: checksums against the reference", 80);
            Integrity = DbChecksums.Compare(reference, await checksum(cancellationToken));
            if (Integrity.Failed) Reason = $"integrity: differs from the reference at {position}: {Integrity}";
            Checking = Clock.Elapsed - Restored.Value;
        }

        /// <summary>Removes the instance unless it is to be kept and the backup passed.</summary>
        public async Task RemoveInstanceAsync()
        {
            if (Instance is not null && (!Options.KeepInstance || Reason is not null)) await Instance.DisposeAsync();
        }

        public BackupVerificationResult Result(string restoreMethod, string checksumMethod, string recoveryTarget)
        {
            var total = Clock.Elapsed;
            var kept = Options.KeepInstance && Reason is null && Instance is not null;
            return new BackupVerificationResult
            {
                BackupId = Backup.Id,
                Passed = Reason is null,
                Reason = Reason,
                StartedAt = Clock.StartedAt,
                RestoreSeconds = new Measurement("restore", (Restored ?? total).TotalSeconds, "s", null, restoreMethod),
                RecoverySeconds = null,
                VerificationSeconds = new Measurement("verification", Checking.TotalSeconds, "s", null, checksumMethod
                    + ", against the reference taken when the backup was"),
                TotalSeconds = new Measurement("total", total.TotalSeconds, "s", Options.RtoTarget?.TotalSeconds,
                    "restore + verification: the time to a verified, usable instance"),
                RecoveryTarget = recoveryTarget,
                Integrity = Integrity,
                KeptInstance = kept ? $"sandbox {Instance!.Id}, port {Instance.Members[0].Port}" : null,
                KeptInstanceId = kept ? Instance!.Id : null,
            };
        }
    }
}
