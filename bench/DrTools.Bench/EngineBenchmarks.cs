using System.Diagnostics;
using DrTools.Core.Backups;
using DrTools.Core.Engines;
using DrTools.Core.Failover;
using DrTools.Core.Redis;
using DrTools.Core.Sandboxes;
using MySqlConnector;

namespace DrTools.Bench;

/// <summary>
/// MariaDB and Redis: switchover write unavailability against a bare promotion measured in the same run, and
/// Test-DbBackup of a MariaDB dump against the bare restore it wraps.
/// </summary>
public static class EngineBenchmarks
{
    /// <summary>DrTools' fenced MariaDB switchover; floor: STOP SLAVE, RESET SLAVE ALL, read_only = 0 on an idle caught-up replica, to the first acknowledged insert.</summary>
    public static Task MariaDbSwitchoverAsync(int runs, IReadOnlyList<int> clients) =>
        SwitchoverAsync(StoreEngines.MariaDb, runs, clients, 0.5, async (sandbox, replica, primary) =>
    {
        await using var connection = new MySqlConnection(Core.MariaDb.MariaDbEngine.ConnectionString(sandbox, replica));
        await connection.OpenAsync();
        var clock = Stopwatch.StartNew();
        await new MySqlCommand("stop slave; reset slave all; set global read_only = 0; create database if not exists bench; create table if not exists bench.t (i int); insert into bench.t values (1)", connection).ExecuteNonQueryAsync();
        var elapsed = clock.Elapsed.TotalSeconds;
        await ((IReplicaSet)sandbox.Cluster).RejoinAsync(primary.Name, replica.Name, CancellationToken.None);
        return elapsed;
    });

    /// <summary>DrTools' paused-write Redis switchover; floor: REPLICAOF NO ONE on an idle caught-up replica, to the first acknowledged SET.</summary>
    public static Task RedisPromotionAsync(int runs, IReadOnlyList<int> clients) =>
        SwitchoverAsync(StoreEngines.Redis, runs, clients, 0.2, async (sandbox, replica, primary) =>
    {
        var cluster = (RedisCluster)sandbox.Cluster;
        await using var connection = await cluster.Member(replica.Name).OpenAsync(CancellationToken.None);
        var clock = Stopwatch.StartNew();
        await connection.CommandAsync(CancellationToken.None, "REPLICAOF", "NO", "ONE");
        await connection.CommandAsync(CancellationToken.None, "SET", "bench", "1");
        var elapsed = clock.Elapsed.TotalSeconds;
        await cluster.RejoinAsync(primary.Name, replica.Name, CancellationToken.None);
        return elapsed;
    });

    private static async Task SwitchoverAsync(string engine, int runs, IReadOnlyList<int> clients, double target,
        Func<Sandbox, SandboxMember, SandboxMember, Task<double>> barePromotion)
    {
        await using var drilled = await Sandbox.CreateAsync(new SandboxOptions { Engine = engine, Standbys = 1 }, CancellationToken.None);
        await using var bare = await Sandbox.CreateAsync(new SandboxOptions { Engine = engine, Standbys = 1 }, CancellationToken.None);
        var samples = new DrillSamples(clients);
        var floor = new List<double>();
        for (var run = 1; run <= runs; run++)
        {
            var drills = new List<string>();
            foreach (var count in samples.Order(run))
            {
                var options = DrillSamples.Options(count);
                var drill = new ReplicaSetDrill((IReplicaSet)drilled.Cluster);
                var result = await drill.RunAsync(await drill.PlanAsync(options, CancellationToken.None), options, CancellationToken.None);
                drills.Add(samples.Add(count, result.WriteUnavailability.Measured, (long)result.LostWrites.Measured));
                if (result.WriteUnavailability.Measured > 1 || DrillSamples.Timelines) SwitchoverBenchmark.Outlier(result.Timeline);
            }
            var status = await ((IReplicaSet)bare.Cluster).GetStatusAsync(CancellationToken.None);
            floor.Add(await barePromotion(bare, bare.Members.Single(m => m.Name == status.Standbys.Single().Name), bare.Members.Single(m => m.Name == status.Primary!.Name)));
            Console.WriteLine($"run {run}: switchover unavailability {string.Join("; ", drills)}; bare promotion {floor[^1]:0.000}s");
        }
        var medianFloor = Statistics.Median(floor);
        Console.WriteLine($"{engine} switchover on a sandbox pair, {runs} runs, {Environment.ProcessorCount} cores, probes at "
            + $"{DrillSamples.Rate}/s per client:");
        samples.Print(medianFloor, target);
        Console.WriteLine($"  floor (bare promotion to the first acknowledged write) median {medianFloor:0.000}s");
    }

    /// <summary>
    /// Test-DbBackup of a mariadb-dump of DRTOOLS_BENCH_DUMP_MB (default 1024) MiB of rows, against the bare restore it
    /// wraps, same run: a new instance and <c>mariadb &lt; dump.sql</c>. Target ratio ≤ 1.15.
    /// </summary>
    public static async Task MariaDbVerificationAsync(int runs)
    {
        var megabytes = int.TryParse(Environment.GetEnvironmentVariable("DRTOOLS_BENCH_DUMP_MB"), out var size) ? size : 1024;
        await using var source = await Sandbox.CreateAsync(new SandboxOptions { Engine = StoreEngines.MariaDb, Standbys = 1 }, CancellationToken.None);
        var cluster = (IReplicaSet)source.Cluster;
        var rows = megabytes * 1024; // a row's payload is 992 bytes
        await cluster.QueryAsync("create database bench", null, CancellationToken.None);
        await cluster.QueryAsync("create table bench.rows (id int primary key, payload varchar(1000)) engine=InnoDB", null, CancellationToken.None);
        for (var from = 1; from <= rows; from += 50_000)
        {
            await cluster.QueryAsync($"insert into bench.rows select seq, repeat(md5(seq), 31) from bench.seq_{from}_to_{Math.Min(rows, from + 49_999)}", null, CancellationToken.None);
        }
        var repository = BackupRepository.Open(Directory.CreateTempSubdirectory("drtools-bench-repo-").FullName, create: true);
        var backup = await Stores.BackupAsync(cluster, repository, "dump", new BackupOptions(), CancellationToken.None);
        var dump = Path.Combine(repository.BackupDirectory(backup.Id), "dump.sql");
        Console.WriteLine($"dump of {rows} rows: {new FileInfo(dump).Length / 1048576.0:0} MiB");
        var ratios = new List<double>();
        for (var run = 1; run <= runs; run++)
        {
            var verify = Stopwatch.StartNew();
            var result = await Stores.VerifyBackupAsync(repository, new BackupVerificationOptions { BackupId = backup.Id }, CancellationToken.None);
            var verified = verify.Elapsed.TotalSeconds;
            if (!result.Passed) throw new InvalidOperationException(result.Reason);
            var bare = Stopwatch.StartNew();
            await using (var instance = await Sandbox.CreateAsync(new SandboxOptions { Engine = StoreEngines.MariaDb, Standbys = 0 }, CancellationToken.None))
            {
                var load = Process.Start(new ProcessStartInfo("bash", ["-c", $"mariadb --no-defaults -h 127.0.0.1 -P {instance.Members[0].Port} -u {Sandbox.UserName} < \"$DUMP\""])
                {
                    Environment = { ["MYSQL_PWD"] = new MySqlConnectionStringBuilder(Core.MariaDb.MariaDbEngine.ConnectionString(instance, instance.Members[0])).Password, ["DUMP"] = dump },
                })!;
                await load.WaitForExitAsync();
                if (load.ExitCode != 0) throw new InvalidOperationException("the bare restore failed");
            }
            var bareSeconds = bare.Elapsed.TotalSeconds;
            ratios.Add(verified / bareSeconds);
            Console.WriteLine($"run {run}: Test-DbBackup {verified:0.00}s (restore {result.RestoreSeconds.Measured:0.00}s, checksums {result.VerificationSeconds?.Measured:0.00}s); bare new instance + mariadb < dump {bareSeconds:0.00}s; ratio {ratios[^1]:0.00}");
        }
        Directory.Delete(repository.Root, recursive: true);
        Console.WriteLine($"MariaDB Test-DbBackup vs bare restore, {megabytes} MiB of rows, {runs} run(s): median ratio {Statistics.Median(ratios):0.00}; target <= 1.15: {(Statistics.Median(ratios) <= 1.15 ? "met" : "NOT met")}");
    }
}
