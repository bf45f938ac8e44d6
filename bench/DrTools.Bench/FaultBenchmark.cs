using System.Diagnostics;
using System.Net.Sockets;
using DrTools.Core.Faults;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;
using Npgsql;

namespace DrTools.Bench;

/// <summary>
/// Time from stopping a fault to its effect gone, for a Partition (until a new connection to the member is accepted)
/// and a Freeze (until an open connection answers again), against the bare undo measured in the same run: nft deleting
/// a table of the same rule, SIGCONT of the same processes. Target: DrTools' median ≤ 50 ms.
/// </summary>
public static class FaultBenchmark
{
    public static async Task RunAsync(int runs)
    {
        Environment.SetEnvironmentVariable("DRTOOLS_FAULT_STATE", Directory.CreateTempSubdirectory("drtools-bench-faults-").FullName);
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0 }, CancellationToken.None);
        var member = FaultMembers.Of(sandbox)[0];
        var db = sandbox.Target.Members[0];
        var (partition, barePartition, freeze, bareFreeze) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
        await using var open = await db.OpenAsync(CancellationToken.None);
        for (var run = 1; run <= runs; run++)
        {
            var cut = await Faults.StartAsync(new FaultRequest(FaultKind.Partition, member), null, CancellationToken.None);
            partition.Add(await TimeAsync(() => Faults.StopAsync(cut, CancellationToken.None), () => ConnectsAsync(member.Port)));

            await Nft($"add table inet drtools_bench_bare; add chain inet drtools_bench_bare out {{ type filter hook output priority -5; }}; add rule inet drtools_bench_bare out tcp dport {member.Port} drop");
            barePartition.Add(await TimeAsync(() => Nft("delete table inet drtools_bench_bare"), () => ConnectsAsync(member.Port)));

            var frozen = await Faults.StartAsync(new FaultRequest(FaultKind.Freeze, member), null, CancellationToken.None);
            freeze.Add(await TimeAsync(() => Faults.StopAsync(frozen, CancellationToken.None), () => AnswersAsync(open)));

            var processes = ProcessTable.FindByWorkingDirectory(member.DataDirectory!);
            foreach (var pid in processes) ProcessTable.Signal(pid, ProcessTable.SigStop);
            bareFreeze.Add(await TimeAsync(() => { foreach (var pid in processes) ProcessTable.Signal(pid, ProcessTable.SigCont); return Task.CompletedTask; }, () => AnswersAsync(open)));
            Console.WriteLine($"run {run}: partition lifted {partition[^1]:0.0} ms (bare {barePartition[^1]:0.0} ms), freeze thawed {freeze[^1]:0.0} ms (bare {bareFreeze[^1]:0.0} ms)");
        }
        Console.WriteLine($"stop to effect gone, {runs} runs, {Environment.ProcessorCount} cores:");
        Report("Partition", partition, barePartition);
        Report("Freeze", freeze, bareFreeze);
    }

    private static void Report(string kind, IReadOnlyCollection<double> drtools, IReadOnlyCollection<double> bare)
    {
        var (median, baseline) = (Statistics.Median(drtools), Statistics.Median(bare));
        Console.WriteLine($"  {kind}: median {median:0.0} ms, max {drtools.Max():0.0} ms; bare undo median {baseline:0.0} ms; ratio {median / baseline:0.0}; target median <= 50 ms: {(median <= 50 ? "met" : "NOT met")}");
    }

    /// <summary>Milliseconds from the start of <paramref name="undo"/> until <paramref name="effectGone"/> holds, polled without pause.</summary>
    private static async Task<double> TimeAsync(Func<Task> undo, Func<Task<bool>> effectGone)
    {
        var clock = Stopwatch.StartNew();
        await undo();
        while (!await effectGone())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException("the fault's effect was still there 30 s after its undo");
        }
        return clock.Elapsed.TotalMilliseconds;
    }

    private static async Task<bool> ConnectsAsync(int port)
    {
        using var client = new TcpClient();
        using var quick = new CancellationTokenSource(TimeSpan.FromMilliseconds(20));
        try
        {
            await client.ConnectAsync("127.0.0.1", port, quick.Token);
            return true;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            return false;
        }
    }

    private static async Task<bool> AnswersAsync(NpgsqlConnection connection)
    {
        await using var query = new NpgsqlCommand("select 1", connection) { CommandTimeout = 30 };
        return await query.ExecuteScalarAsync() is 1;
    }

    /// <summary>nft with commands separated by ';' in one argument, as a shell user would type them.</summary>
    private static Task Nft(string commands) => CommandRunner.RunAsync(new CommandSpec("nft (bare baseline)", "nft", [commands]), CancellationToken.None);
}
