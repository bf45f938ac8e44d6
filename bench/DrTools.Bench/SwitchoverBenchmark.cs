using System.Diagnostics;
using DrTools.Core.Cluster;
using DrTools.Core.Failover;
using DrTools.Core.Probes;
using DrTools.Core.Sandboxes;
using Npgsql;

namespace DrTools.Bench;

/// <summary>
/// Switchover write unavailability as the probe sees it (200 writes/s, 5 ms resolution) over N runs on a sandbox pair,
/// against the floor measured in the same run: a bare promotion of an idle, caught-up standby, from pg_promote to
/// pg_is_in_recovery() = false, polled every 2 ms on an open connection. Each run drills once per probe clients count asked.
/// </summary>
public static class SwitchoverBenchmark
{
    public static async Task RunAsync(int runs, IReadOnlyList<int> clients)
    {
        await using var drilled = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1 }, CancellationToken.None);
        await using var bare = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1 }, CancellationToken.None);
        var samples = new DrillSamples(clients);
        var floor = new List<double>();
        var control = new SandboxControl(drilled);
        for (var run = 1; run <= runs; run++)
        {
            var drills = new List<string>();
            foreach (var count in samples.Order(run))
            {
                var options = DrillSamples.Options(count);
                var plan = await FailoverDrill.PlanAsync(drilled.Target, control, options, CancellationToken.None);
                var result = await FailoverDrill.RunAsync(plan, control, options, CancellationToken.None);
                drills.Add(samples.Add(count, result.WriteUnavailability.Measured, (long)result.LostWrites.Measured));
                // An outlier is reported with its timeline, so that it can be explained rather than averaged away.
                if (result.WriteUnavailability.Measured > 1 || DrillSamples.Timelines) Outlier(result.Timeline);
            }
            floor.Add(await BarePromotionAsync(bare));
            Console.WriteLine($"run {run}: switchover unavailability {string.Join("; ", drills)}; bare promotion {floor[^1]:0.000}s");
        }
        var medianFloor = Statistics.Median(floor);
        Console.WriteLine($"switchover on a sandbox pair, {runs} runs, {Environment.ProcessorCount} cores, probes at "
            + $"{DrillSamples.Rate}/s per client:");
        samples.Print(medianFloor, 0.3);
        Console.WriteLine($"  floor (bare promotion) median {medianFloor:0.000}s");
    }

    /// <summary>Prints a drill's timeline, indented under its run.</summary>
    public static void Outlier(IEnumerable<DrillEvent> timeline)
    {
        foreach (var moment in timeline) Console.WriteLine($"    +{moment.At.TotalSeconds:0.000}s {moment.Name}: {moment.Detail}");
    }

    /// <summary>Promotes the pair's standby and times it, then rejoins the old primary under it for the next run.</summary>
    private static async Task<double> BarePromotionAsync(Sandbox sandbox)
    {
        var status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);
        var standby = sandbox.Target.Member(status.Standbys.Single().Name);
        var primary = sandbox.Target.Member(status.Primary!.Name);
        await using (var connection = await standby.OpenAsync(CancellationToken.None))
        {
            var clock = Stopwatch.StartNew();
            await new NpgsqlCommand("select pg_promote(wait => false)", connection).ExecuteScalarAsync();
            while ((bool)(await new NpgsqlCommand("select pg_is_in_recovery()", connection).ExecuteScalarAsync())!) await Task.Delay(2);
            var elapsed = clock.Elapsed.TotalSeconds;
            await new SandboxControl(sandbox).RejoinAsync(primary, standby, primary.Name, CancellationToken.None);
            return elapsed;
        }
    }
}
