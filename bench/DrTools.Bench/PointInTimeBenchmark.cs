using System.Diagnostics;
using DrTools.Core.Backups;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;
using Npgsql;

namespace DrTools.Bench;

/// <summary>
/// Point-in-time recovery of a ~1 GB database (pgbench scale 70): base backup, a minute of pgbench writes archived after
/// it, then Restore-PointInTime to a time in the middle of those writes, timed end to end and against the bare extraction
/// of the same backup in the same run.
/// </summary>
public static class PointInTimeBenchmark
{
    public static async Task RunAsync(int runs)
    {
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0 }, CancellationToken.None);
        var repositoryPath = Directory.CreateTempSubdirectory("drtools-bench-pitr-").FullName;
        ServerAccount.Current.Own(repositoryPath);
        try
        {
            var repository = BackupRepository.Open(repositoryPath, create: true);
            await DbBackups.ConfigureArchivingAsync(sandbox.Target, repository, CancellationToken.None);
            await PgBenchAsync(sandbox, ["-i", "-s", "70", "-q"]);
            var size = await sandbox.Target.Members[0].QueryAsync("select pg_database_size('postgres')", r => r.GetInt64(0), CancellationToken.None);
            var backup = await DbBackups.CreateAsync(sandbox.Target, repository, new BackupOptions { RecordReference = false }, CancellationToken.None);
            Console.WriteLine($"database {size / 1024 / 1024} MiB; backup {backup.SizeBytes / 1024 / 1024} MiB in {backup.Duration.TotalSeconds:0.0}s");
            await PgBenchAsync(sandbox, ["-c", "2", "-T", "20", "-n"]);
            var target = DateTimeOffset.UtcNow;
            await PgBenchAsync(sandbox, ["-c", "2", "-T", "10", "-n"]);
            await sandbox.Target.Members[0].ExecuteAsync("select pg_switch_wal()", CancellationToken.None);
            await Task.Delay(3000); // the archiver copies the last segments

            for (var run = 1; run <= runs; run++)
            {
                var result = await PointInTimeRestore.RestoreAsync(repository, new PointInTimeOptions { Target = RecoveryTarget.Time(target), KeepInstance = false }, CancellationToken.None);
                var clock = Stopwatch.StartNew();
                await using (await RestoredInstance.ExtractAsync(repository, backup, null, keep: false, CancellationToken.None)) { }
                var extraction = clock.Elapsed.TotalSeconds;
                Console.WriteLine($"run {run}: PITR to {result.Target}: {result.Duration.Measured:0.000}s ({result.Result}; replayed to {result.ReplayedToLsn}, " +
                    $"{result.DataLossBeforeTarget?.Measured:0.000}s before the target); bare extraction {extraction:0.000}s; ratio {result.Duration.Measured / extraction:0.00}");
            }
        }
        finally
        {
            Directory.Delete(repositoryPath, recursive: true);
        }
    }

    private static async Task PgBenchAsync(Sandbox sandbox, string[] arguments)
    {
        var connection = new NpgsqlConnectionStringBuilder(sandbox.ConnectionString(sandbox.Members[0]));
        await CommandRunner.RunAsync(new CommandSpec("pgbench", sandbox.Binaries.Tool("pgbench"),
            ["-h", "127.0.0.1", "-p", connection.Port.ToString(), "-U", connection.Username!, .. arguments, "postgres"])
        {
            Environment = new Dictionary<string, string> { ["PGPASSWORD"] = connection.Password! },
            Timeout = TimeSpan.FromMinutes(20),
        }, CancellationToken.None);
    }
}
