using System.Text.Json.Serialization;
using DrTools.Core.Integrity;
using DrTools.Core.Processes;

namespace DrTools.Core.Backups;

/// <summary>
/// Verifies a backup the only way that proves it: restore it into a new isolated instance, check every file against the
/// manifest, recover, check every index and table with pg_amcheck, and compare table checksums with the reference
/// recorded at backup time. Never writes into the source cluster or into an existing directory.
/// </summary>
public static class BackupVerifier
{
    public static async Task<BackupVerificationResult> VerifyAsync(BackupRepository repository, BackupVerificationOptions options,
        CancellationToken cancellationToken)
    {
        var backup = repository.Backup(options.BackupId);
        var target = backup.ReferenceLsn is { } reference ? RecoveryTarget.BeforeLsn(Postgres.Lsn.Parse(reference))
            : RecoveryTarget.Immediate;
        var clock = new MonotonicClock();
        TimeSpan? restored = null, recovered = null;
        var verification = TimeSpan.Zero;
        string? reason = null;
        ChecksumComparison? integrity = null;
        RestoredInstance? instance = null;

        // A phase returns why it failed, or null; tool and server failures are results (FAIL), not errors.
        async Task<string?> Check(string name, Func<Task> work)
        {
            try
            {
                await work();
                return null;
            }
            catch (DrToolsException e) when (!AtomicFile.IsDiskProblem(e.InnerException))
            {
                DiskRoom.ThrowIfRestoreStopped(instance?.Directory, e);
                // Whatever a phase meets in the restored copy (a tool's error, a server error reading a damaged page) is about the backup.
                return $"{name}: {e.Message}";
            }
        }

        async Task<bool> Verifying(params Task<string?>[] checks)
        {
            var started = clock.Elapsed;
            var failures = await Task.WhenAll(checks);
            verification += clock.Elapsed - started;
            reason = failures.FirstOrDefault(f => f is not null);
            return reason is null;
        }

        try
        {
            options.Progress.Enter("restore: extracting the backup into a new instance", 5);
            reason = await Check("restore", async () => instance = await RestoredInstance.ExtractAsync(repository, backup, options.Root,
                options.KeepInstance, cancellationToken));
            restored = clock.Elapsed;
            if (reason is null) options.Progress.Enter("pg_verifybackup: every file against the manifest", 35);
            var ok = reason is null && await Verifying(Check("pg_verifybackup", () => instance!.VerifyFilesAsync(repository,
                cancellationToken)));
            if (ok)
            {
                options.Progress.Enter($"recovery to {target}", 50);
                var recoveryStarted = clock.Elapsed;
                reason = await Check("recovery", async () =>
                {
                    try
                    {
                        await instance!.RecoverAsync(repository, target, options.RecoveryTimeout, cancellationToken);
                    }
                    catch (DrToolsException e) when (e.Kind == DrErrorKind.ExternalCommandFailed)
                    {
                        // Stopped by a full or read-only restore disk: an error (exit 2), never a FAIL of the backup.
                        if (instance!.DiskProblemInLog() is { } disk) throw disk;
                        // The archive read as recovery reads it names the segment the server's log may not.
                        var wal = await WalReplay.CheckAsync(repository, backup, cancellationToken);
                        var broken = wal.Break is { } why ? $"; the archived WAL stops replaying at {wal}: {why}" : "";
                        throw new DrToolsException($"the restored instance did not reach {target}: {instance!.LastLogLines()}{broken}",
                            DrErrorKind.ExternalCommandFailed, e);
                    }
                });
                recovered = clock.Elapsed - recoveryStarted;
                ok = reason is null;
            }
            // Independent and read-only: the table checksums and pg_amcheck run side by side.
            if (ok)
            {
                options.Progress.Enter("integrity: table checksums against the reference, pg_amcheck", 75);
                ok = await Verifying(
                Check("integrity", async () =>
                {
                    if (backup.Reference is null) return;
                    integrity = await DbChecksums.CompareAsync(backup.Reference, new Postgres.DbTarget("restored", [instance!.Connection],
                        false), null, cancellationToken);
                    if (integrity.Failed) throw new DrToolsException($"differs from the reference at {backup.ReferenceLsn}: {integrity}",
                        DrErrorKind.InvalidOperation);
                }),
                Check("pg_amcheck", () => CommandRunner.RunAsync(new CommandSpec($"pg_amcheck of the restored backup {backup.Id}",
                    instance!.Server.Binaries.Tool("pg_amcheck"),
                    ["-h", instance.SocketDirectory, "-p", instance.Port.ToString(), "-U", backup.User, "--all", "--install-missing",
                        "--heapallindexed"])
                {
                    AsServerAccount = true,
                    WorkingDirectory = instance.Directory,
                    Timeout = options.RecoveryTimeout,
                }, cancellationToken)));
            }
            if (ok)
            {
                options.Progress.Enter("pg_checksums: every page of every relation fork", 90);
                ok = await Verifying(Check("pg_checksums",
                    () => instance!.CheckPagesAsync(restart: options.KeepInstance, cancellationToken)));
            }
            // What the server itself met while it ran (autovacuum reading a damaged page, say) is about the backup too.
            if (recovered is not null && instance!.DamagedPageInLog() is { } damaged) reason ??= $"server log: {damaged}";
        }
        finally
        {
            if (instance is not null && !options.KeepInstance) await instance.DisposeAsync();
        }

        var total = clock.Elapsed;
        const string timed = "on one monotonic clock, from the start of the extraction";
        return new BackupVerificationResult
        {
            BackupId = backup.Id,
            Passed = reason is null,
            Reason = reason,
            StartedAt = clock.StartedAt,
            RestoreSeconds = new Measurement("restore", (restored ?? total).TotalSeconds, "s", null,
                $"extracting the backup's archives into a new directory ({timed})"),
            RecoverySeconds = recovered is { } r ? new Measurement("recovery", r.TotalSeconds, "s", null,
                $"server start, WAL replay from the backup and the repository archive to {target}, promotion") : null,
            VerificationSeconds = new Measurement("verification", verification.TotalSeconds, "s", null,
                "pg_verifybackup (sizes and SHA-256 checksums of every file, the WAL the backup needs), "
                + (backup.Reference is null ? $"no table checksums ({NoReference}), "
                    : "table checksums of every database against the reference, ")
                + "pg_amcheck --heapallindexed on every database, "
                + "pg_checksums --check (every page of every relation fork, where the cluster has data checksums), "
                + "the server log for damaged pages"),
            TotalSeconds = new Measurement("total", total.TotalSeconds, "s", options.RtoTarget?.TotalSeconds,
                "restore + verification + recovery, the time to a verified, usable instance"),
            RecoveryTarget = target.ToString(),
            Integrity = integrity,
            IntegrityNotChecked = backup.Reference is null ? NoReference : null,
            KeptInstance = options.KeepInstance && instance is not null ? $"sandbox {instance.Id}, port {instance.Port}" : null,
            KeptInstanceId = options.KeepInstance ? instance?.Id : null,
        };
    }

    private const string NoReference = "the backup was taken without a reference, so no table's rows were compared with the "
        + "source's; the restore and the structure were verified";
}
