using System.Diagnostics;
using DrTools.Core.Backups;
using DrTools.Core.Postgres;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;

namespace DrTools.Bench;

/// <summary>
/// Test-DbBackup's total time divided by the bare steps it wraps, on the same backup in the same run: extracting the
/// archives, pg_verifybackup, and starting the server to consistency (recovery_target = immediate, promote). Target ≤ 1.15.
/// </summary>
public static class VerificationBenchmark
{
    public static async Task RunAsync(int runs)
    {
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1 }, CancellationToken.None);
        var repositoryPath = Directory.CreateTempSubdirectory("drtools-bench-repo-").FullName;
        ServerAccount.Current.Own(repositoryPath);
        try
        {
            var repository = BackupRepository.Open(repositoryPath, create: true);
            await DbBackups.ConfigureArchivingAsync(sandbox.Target, repository, CancellationToken.None);
            await sandbox.Target.Members[0].ExecuteAsync("create table ledger as select g as id, md5(g::text) as memo from generate_series(1, 2000000) g", CancellationToken.None);
            // As autovacuum leaves a production table: vacuumed and analyzed, hint bits set (a freshly loaded table
            // would make the restored instance's first reader set them on every page instead).
            await sandbox.Target.Members[0].ExecuteAsync("vacuum analyze ledger", CancellationToken.None);
            var backup = await DbBackups.CreateAsync(sandbox.Target, repository, new BackupOptions(), CancellationToken.None);
            Console.WriteLine($"backup {backup.Id}: {backup.SizeBytes / 1024 / 1024} MiB compressed");
            var verified = new List<double>();
            var bare = new List<double>();
            var sameExtraction = new List<double>();
            for (var run = 1; run <= runs; run++)
            {
                var result = await BackupVerifier.VerifyAsync(repository, new BackupVerificationOptions(), CancellationToken.None);
                if (!result.Passed) throw new InvalidOperationException(result.Reason);
                verified.Add(result.TotalSeconds.Measured);
                bare.Add(await BareStepsAsync(repository, backup, withTar: true));
                sameExtraction.Add(await BareStepsAsync(repository, backup, withTar: false));
                Console.WriteLine($"run {run}: Test-DbBackup {verified[^1]:0.000}s (restore {result.RestoreSeconds.Measured:0.000}s, verification {result.VerificationSeconds!.Measured:0.000}s, recovery {result.RecoverySeconds!.Measured:0.000}s), bare steps {bare[^1]:0.000}s (with DrTools' extraction {sameExtraction[^1]:0.000}s), ratio {verified[^1] / bare[^1]:0.00}");
            }
            // The median of the per-run ratios: each pair ran back to back, so slow phases of the machine cancel out.
            var ratio = Statistics.Median(verified.Zip(bare, (v, b) => v / b).ToList());
            var sameRatio = Statistics.Median(verified.Zip(sameExtraction, (v, b) => v / b).ToList());
            Console.WriteLine($"verification overhead over {runs} runs: Test-DbBackup median {Statistics.Median(verified):0.000}s, bare steps median {Statistics.Median(bare):0.000}s, median ratio {ratio:0.00} (target <= 1.15: {(ratio <= 1.15 ? "met" : "NOT met")})");
            Console.WriteLine($"  against the bare steps with DrTools' own in-process extraction (median {Statistics.Median(sameExtraction):0.000}s): median ratio {sameRatio:0.00} — the cost of the checks themselves");
            Console.WriteLine("  (bare steps: tar -xf of each archive, pg_verifybackup, start to consistency; Test-DbBackup extracts in-process, then also recovers to the reference point, compares table checksums and runs pg_amcheck --heapallindexed)");
        }
        finally
        {
            Directory.Delete(repositoryPath, recursive: true);
        }
    }

    /// <summary>
    /// The bare steps as a DBA would do them by hand, with the standard tools: tar (gzip -d) for each archive,
    /// pg_verifybackup, and the server started to consistency; or the same with DrTools' in-process extraction.
    /// </summary>
    private static async Task<double> BareStepsAsync(BackupRepository repository, BackupRecord backup, bool withTar)
    {
        var clock = Stopwatch.StartNew();
        await using var instance = withTar ? RestoredInstance.Prepare(backup, null, keep: false) : await RestoredInstance.ExtractAsync(repository, backup, null, keep: false, CancellationToken.None);
        foreach (var (archive, into) in withTar ? instance.Archives(repository) : [])
        {
            await CommandRunner.RunAsync(new CommandSpec($"tar -xf {Path.GetFileName(archive)}", "tar", ["-xf", archive, "-C", into])
            {
                AsServerAccount = true,
                WorkingDirectory = into,
                Timeout = TimeSpan.FromMinutes(30),
            }, CancellationToken.None);
        }
        await instance.VerifyFilesAsync(repository, CancellationToken.None);
        await instance.RecoverAsync(repository, RecoveryTarget.Immediate, TimeSpan.FromMinutes(30), CancellationToken.None);
        return clock.Elapsed.TotalSeconds;
    }
}
