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
/// pg_is_in_recovery() = false, polled every 2 ms on an open connection.
/// </summary>
public static class SwitchoverBenchmark
{
    public static async Task RunAsync(int runs)
    {
        await using var drilled = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1 }, CancellationToken.None);
        await using var bare = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1 }, CancellationToken.None);
        var unavailability = new List<double>();
        var floor = new List<double>();
        var lost = 0;
        var options = new FailoverOptions { Mode = FailoverMode.Switchover, WriteProbe = new ProbeOptions { Rate = 200 }, ReadProbe = new ProbeOptions { Rate = 200 } };
        var control = new SandboxControl(drilled);
        for (var run = 1; run <= runs; run++)
        {
            var plan = await FailoverDrill.PlanAsync(drilled.Target, control, options, CancellationToken.None);
            var result = await FailoverDrill.RunAsync(plan, control, options, CancellationToken.None);
            unavailability.Add(result.WriteUnavailability.Measured);
            lost += (int)result.LostWrites.Measured;
            floor.Add(await BarePromotionAsync(bare));
            Console.WriteLine($"run {run}: switchover unavailability {unavailability[^1]:0.000}s, lost {result.LostWrites.Measured}, bare promotion {floor[^1]:0.000}s");
            // An outlier is reported with its timeline, so that it can be explained rather than averaged away.
            if (unavailability[^1] > 1) foreach (var moment in result.Timeline) Console.WriteLine($"    +{moment.At.TotalSeconds:0.000}s {moment.Name}: {moment.Detail}");
        }
        var median = Statistics.Median(unavailability);
        var medianFloor = Statistics.Median(floor);
        Console.WriteLine($"switchover on a sandbox pair, {runs} runs, {Environment.ProcessorCount} cores:");
        Console.WriteLine($"  write unavailability median {median:0.000}s, max {unavailability.Max():0.000}s; lost acknowledged writes {lost}");
        Console.WriteLine($"  floor (bare promotion) median {medianFloor:0.000}s; ratio median / floor = {median / medianFloor:0.0}");
        Console.WriteLine($"  target: median <= 0.300s with 0 lost: {(median <= 0.3 && lost == 0 ? "met" : "NOT met")}");
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
