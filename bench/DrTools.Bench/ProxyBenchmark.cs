using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using DrTools.Core;
using DrTools.Core.Faults;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;
using Npgsql;

namespace DrTools.Bench;

/// <summary>
/// The fault proxy's cost with no fault active: pgbench TPS through it against pgbench straight to the member, same
/// sandbox, alternating run by run (target ≥ 0.9); HAProxy in TCP mode in front of the same member, in the same runs,
/// as the reference for what one more userspace TCP hop costs on this machine. Then the time from stopping a Latency
/// fault to its effect gone: a query held by a 5 s latency completes once the fault is stopped.
/// </summary>
public static partial class ProxyBenchmark
{
    private static readonly TimeSpan Load = TimeSpan.FromSeconds(5);

    public static async Task RunAsync(int runs)
    {
        Environment.SetEnvironmentVariable("DRTOOLS_FAULT_STATE", Directory.CreateTempSubdirectory("drtools-bench-faults-").FullName);
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, FaultProxy = true }, CancellationToken.None);
        var member = sandbox.Members[0];
        await PgBenchAsync(sandbox, member.Port, ["-i", "-s", "2", "-q"]);
        using var haproxy = HaproxyInFront(member.Port);
        var (direct, proxied, referenced) = (new List<double>(), new List<double>(), new List<double>());
        for (var run = 1; run <= runs; run++)
        {
            direct.Add(await TpsAsync(sandbox, member.Port));
            proxied.Add(await TpsAsync(sandbox, member.ClientPort));
            if (haproxy is not null) referenced.Add(await TpsAsync(sandbox, haproxy.Port));
            Console.WriteLine($"run {run}: direct {direct[^1]:0} tps, fault proxy {proxied[^1]:0} tps{(haproxy is null ? "" : $", HAProxy {referenced[^1]:0} tps")}");
        }
        var ratio = Statistics.Median(proxied.Zip(direct, (p, d) => p / d).ToList());
        Console.WriteLine($"pgbench -c 4 -j 2 -T {Load.TotalSeconds:0} (TPC-B), {runs} runs, {Environment.ProcessorCount} cores:");
        Console.WriteLine($"  direct median {Statistics.Median(direct):0} tps; fault proxy median {Statistics.Median(proxied):0} tps; median per-run ratio {ratio:0.00}; target >= 0.9: {(ratio >= 0.9 ? "met" : "NOT met")}");
        if (referenced.Count > 0) Console.WriteLine($"  reference, HAProxy (TCP mode) in front of the same member: median {Statistics.Median(referenced):0} tps; median per-run ratio {Statistics.Median(referenced.Zip(direct, (h, d) => h / d).ToList()):0.00}");

        var lifted = new List<double>();
        var target = FaultMembers.Of(sandbox)[0];
        await using var open = await sandbox.Target.Members[0].OpenAsync(CancellationToken.None);
        for (var run = 1; run <= runs; run++)
        {
            var fault = await Faults.StartAsync(new FaultRequest(FaultKind.Latency, target) { Parameters = new Dictionary<string, string> { ["delay"] = "5s", ["direction"] = "toMember" } }, null, CancellationToken.None);
            await using var query = new NpgsqlCommand("select 1", open) { CommandTimeout = 30 };
            var held = query.ExecuteScalarAsync();
            await Task.Delay(100);
            var clock = Stopwatch.StartNew();
            await Faults.StopAsync(fault, CancellationToken.None);
            await held;
            lifted.Add(clock.Elapsed.TotalMilliseconds);
        }
        Console.WriteLine($"  Latency lifted (stop to the held query answered): median {Statistics.Median(lifted):0.0} ms, max {lifted.Max():0.0} ms; target median <= 50 ms: {(Statistics.Median(lifted) <= 50 ? "met" : "NOT met")}");
    }

    private static async Task<double> TpsAsync(Sandbox sandbox, int port)
    {
        var output = await PgBenchAsync(sandbox, port, ["-c", "4", "-j", "2", "-T", Load.TotalSeconds.ToString(CultureInfo.InvariantCulture), "-n"]);
        return double.Parse(Tps().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex Tps();

    private static async Task<string> PgBenchAsync(Sandbox sandbox, int port, string[] arguments)
    {
        var connection = new NpgsqlConnectionStringBuilder(sandbox.ConnectionString(sandbox.Members[0]));
        var result = await CommandRunner.RunAsync(new CommandSpec("pgbench", sandbox.Binaries.Tool("pgbench"),
            ["-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-U", connection.Username!, .. arguments, "postgres"])
        {
            Environment = new Dictionary<string, string> { ["PGPASSWORD"] = connection.Password! },
            Timeout = TimeSpan.FromMinutes(5),
        }, CancellationToken.None);
        return result.StandardOutput;
    }

    /// <summary>HAProxy forwarding a free port to the member (TCP mode, no checks), or null when it is not installed.</summary>
    private static Haproxy? HaproxyInFront(int upstream)
    {
        if (!File.Exists("/usr/sbin/haproxy")) return null;
        var folder = Directory.CreateTempSubdirectory("drtools-bench-haproxy-").FullName;
        var port = LoopbackPort.Free();
        File.WriteAllText(Path.Combine(folder, "haproxy.cfg"), $"""
            global
              maxconn 200
            defaults
              mode tcp
              timeout connect 5s
              timeout client 1h
              timeout server 1h
            listen member
              bind 127.0.0.1:{port}
              server member 127.0.0.1:{upstream}

            """);
        var process = Process.Start(new ProcessStartInfo("/usr/sbin/haproxy", ["-f", Path.Combine(folder, "haproxy.cfg")]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        Thread.Sleep(500);
        return new Haproxy(process, port, folder);
    }

    private sealed record Haproxy(Process Process, int Port, string Folder) : IDisposable
    {
        public void Dispose()
        {
            Process.Kill();
            Process.WaitForExit();
            Directory.Delete(Folder, recursive: true);
        }
    }
}
