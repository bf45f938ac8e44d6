using DrTools.Core.Failover;
using DrTools.Core.Patroni;
using DrTools.Core.Probes;
using DrTools.Core.Sandboxes;

namespace DrTools.Bench;

/// <summary>
/// Planned switchover write unavailability, alternating run by run on this machine: DrTools' own switchover on a
/// DrTools sandbox pair vs Patroni's switchover (POST /switchover) on a Patroni pair behind HAProxy, both measured by
/// the same probe (200 writes/s). Then Patroni's node-loss outage with its default settings and with fast ones.
/// </summary>
public static class PatroniBenchmark
{
    public static async Task RunAsync(int runs)
    {
        await using var drilled = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1 }, CancellationToken.None);
        await using var patroni = await Sandbox.CreateAsync(new SandboxOptions { Topology = SandboxTopology.Patroni, Standbys = 1 }, CancellationToken.None);
        var probe = new ProbeOptions { Rate = 200 };
        var switchover = new FailoverOptions { Mode = FailoverMode.Switchover, WriteProbe = probe, ReadProbe = probe };
        var own = new List<double>();
        var patronis = new List<double>();
        var lost = (own: 0, patroni: 0);
        for (var run = 1; run <= runs; run++)
        {
            var mine = await DrillAsync(drilled, switchover);
            var theirs = await DrillAsync(patroni, switchover);
            own.Add(mine.WriteUnavailability.Measured);
            patronis.Add(theirs.WriteUnavailability.Measured);
            lost = (lost.own + (int)mine.LostWrites.Measured, lost.patroni + (int)theirs.LostWrites.Measured);
            Console.WriteLine($"run {run}: DrTools switchover {own[^1]:0.000}s, Patroni switchover {patronis[^1]:0.000}s ({Describe(theirs)})");
        }
        Console.WriteLine($"planned switchover, {runs} runs each, alternating, {Environment.ProcessorCount} cores, probe 200 writes/s:");
        Console.WriteLine($"  DrTools (sandbox pair): median {Statistics.Median(own):0.000}s, max {own.Max():0.000}s, lost {lost.own}");
        Console.WriteLine($"  Patroni 3 (pair behind HAProxy, default settings): median {Statistics.Median(patronis):0.000}s, max {patronis.Max():0.000}s, lost {lost.patroni}");
        Console.WriteLine($"  ratio Patroni / DrTools = {Statistics.Median(patronis) / Statistics.Median(own):0.0}");

        foreach (var settings in new[] { PatroniSettings.Defaults, PatroniSettings.Defaults.With(["ttl=10,loop_wait=2,retry_timeout=4"]) })
        {
            await using var cluster = await Sandbox.CreateAsync(new SandboxOptions { Topology = SandboxTopology.Patroni, Standbys = 2, PatroniSettings = settings }, CancellationToken.None);
            var outages = new List<double>();
            for (var run = 1; run <= Math.Max(1, runs / 5); run++)
            {
                var result = await DrillAsync(cluster, new FailoverOptions { Mode = FailoverMode.Failover, Fault = NodeFault.KillNode, Rejoin = true, WriteProbe = probe, ReadProbe = probe, PhaseTimeout = TimeSpan.FromMinutes(2) });
                outages.Add(result.WriteUnavailability.Measured);
                Console.WriteLine($"node loss ({settings}), run {run}: write unavailability {outages[^1]:0.000}s ({Describe(result)})");
            }
            Console.WriteLine($"  node loss with {settings}: median {Statistics.Median(outages):0.000}s over {outages.Count} run(s)");
        }
    }

    private static async Task<FailoverResult> DrillAsync(Sandbox sandbox, FailoverOptions options)
    {
        var recovery = Recovery.For(sandbox.Target, sandbox, null, null, null, null);
        return await recovery.RunAsync(await recovery.PlanAsync(options, CancellationToken.None), options, CancellationToken.None);
    }

    private static string Describe(FailoverResult result) =>
        string.Join(", ", result.RecoveryFigures.Select(f => $"{f.Name} {f.Measured:0.###}{(f.Unit == "s" ? "s" : $" {f.Unit}")}"));
}
