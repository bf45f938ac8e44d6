using System.Diagnostics;
using DrTools.Core;
using DrTools.Core.Postgres;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;
using Npgsql;

namespace DrTools.Bench;

/// <summary>
/// Sandbox creation (primary + 1 standby, until the standby streams) against the bare server programs doing the least
/// that makes the same pair: initdb, start, pg_basebackup -R, start, wait for streaming. Runs alternate, so both see the same machine.
/// </summary>
public static class SandboxCreationBenchmark
{
    public static async Task RunAsync(int runs)
    {
        var binaries = PgBinaries.Locate();
        var drtools = new List<double>();
        var bare = new List<double>();
        for (var run = 1; run <= runs; run++)
        {
            var clock = Stopwatch.StartNew();
            var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1 }, CancellationToken.None);
            drtools.Add(clock.Elapsed.TotalSeconds);
            await sandbox.DisposeAsync();

            bare.Add(await BarePairAsync(binaries));
            Console.WriteLine($"run {run}: drtools {drtools[^1]:0.000}s, bare {bare[^1]:0.000}s");
        }
        var medianDrTools = Statistics.Median(drtools);
        var medianBare = Statistics.Median(bare);
        Console.WriteLine($"sandbox creation (primary + 1 standby streaming), {runs} runs on {Environment.ProcessorCount} cores:");
        Console.WriteLine($"  drtools median {medianDrTools:0.000}s (max {drtools.Max():0.000}s); bare steps median {medianBare:0.000}s");
        Console.WriteLine($"  ratio drtools / bare = {medianDrTools / medianBare:0.00}");
    }

    private static async Task<double> BarePairAsync(PgBinaries binaries)
    {
        var directory = Directory.CreateTempSubdirectory("drtools-bench-").FullName;
        ServerAccount.Current.Own(directory);
        var primary = new LocalServer(binaries, Path.Combine(directory, "p"), Path.Combine(directory, "p.log"));
        var standby = new LocalServer(binaries, Path.Combine(directory, "s"), Path.Combine(directory, "s.log"));
        var (primaryPort, standbyPort) = (LoopbackPort.Free(), LoopbackPort.Free());
        try
        {
            var clock = Stopwatch.StartNew();
            await Run(binaries, "initdb", directory, "-D", primary.DataDirectory, "-U", "bench", "--auth=trust", "-E", "UTF8", "--locale=C", "--data-checksums", "--no-sync");
            await File.AppendAllTextAsync(Path.Combine(primary.DataDirectory, "postgresql.conf"), $"port = {primaryPort}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n");
            await primary.StartAsync(CancellationToken.None);
            await Run(binaries, "pg_basebackup", directory, "-h", "127.0.0.1", "-p", primaryPort.ToString(), "-U", "bench", "-D", standby.DataDirectory, "-X", "stream", "-R", "--checkpoint=fast", "--no-sync");
            await File.AppendAllTextAsync(Path.Combine(standby.DataDirectory, "postgresql.auto.conf"), $"port = {standbyPort}\n");
            await standby.StartAsync(CancellationToken.None);
            await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={primaryPort};Username=bench;Database=postgres;Pooling=false");
            await connection.OpenAsync();
            while ((long)(await new NpgsqlCommand("select count(*) from pg_stat_replication where state = 'streaming'", connection).ExecuteScalarAsync())! == 0)
            {
                await Task.Delay(25);
            }
            return clock.Elapsed.TotalSeconds;
        }
        finally
        {
            await standby.StopAsync(ShutdownMode.Immediate, CancellationToken.None);
            await primary.StopAsync(ShutdownMode.Immediate, CancellationToken.None);
            Directory.Delete(directory, recursive: true);
        }
    }

    private static Task Run(PgBinaries binaries, string tool, string directory, params string[] arguments) =>
        CommandRunner.RunAsync(new CommandSpec(tool, binaries.Tool(tool), arguments) { AsServerAccount = true, WorkingDirectory = directory }, CancellationToken.None);
}
