using DrTools.Core.Engines;
using DrTools.Core.Failover;
using DrTools.Core.Probes;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

/// <summary>
/// The fault is timed when it was issued, before the kill is sent, and again when it completed: a report showed the
/// client's outage starting 42 ms before "fault injected", which was read once the kill had returned.
/// </summary>
public sealed class FaultTimingTests
{
    private static readonly FailoverOptions Failover = new()
    {
        Mode = FailoverMode.Failover,
        Rejoin = true,
        CheckIntegrity = false,
        WriteProbe = new ProbeOptions { Rate = 25 },
        ReadProbe = new ProbeOptions { Rate = 10 },
    };

    /// <summary>
    /// The fault issued no later than it completed, and no later than any write it made fail: a write in flight when it
    /// was issued (the last one each client of the probe sent before) may fail as well.
    /// </summary>
    private static void AssertTimedFromTheIssue(FailoverResult result)
    {
        var events = string.Join("\n", result.Timeline.Select(e => $"+{e.At.TotalSeconds:0.000}s {e.Name}: {e.Detail}"));
        var issued = result.Timeline.Single(e => e.Name == "fault issued").At;
        var completed = result.Timeline.Single(e => e.Name == "fault completed").At;
        Assert.True(issued <= completed, events);
        var failed = result.WriteSamples.Where(s => !s.Succeeded).ToList();
        Assert.True(failed.Count > 0, $"no probe write failed: the fault did not cut writes off\n{events}");
        // A client writes one attempt at a time: its write in flight at the issue is its last one sent before.
        var inFlight = result.WriteSamples.Where(s => s.Sent < issued).GroupBy(s => s.Client).Select(c => c.MaxBy(s => s.Sent)!)
            .ToHashSet();
        Assert.All(failed.Where(s => s.Sent < issued), s => Assert.True(inFlight.Contains(s),
            $"write {s.Sequence} failed after being sent at +{s.Sent.TotalSeconds:0.000}s, "
            + $"before the fault was issued at +{issued.TotalSeconds:0.000}s\n{events}"));
    }

    [Fact]
    public async Task A_postgresql_fault_that_returns_late_is_timed_from_its_issue()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        // The kill takes effect at once, the command returns a second later: a fault timed on return starts too late.
        var postmaster = Path.Combine(sandbox.Members[0].DataDirectory, "postmaster.pid");
        var control = MemberControls.For(sandbox, null, $"kill -KILL $(head -1 '{postmaster}') && sleep 1", null);
        var plan = await FailoverDrill.PlanAsync(sandbox.Target, control, Failover, CancellationToken.None);

        var result = await FailoverDrill.RunAsync(plan, control, Failover, CancellationToken.None);

        AssertTimedFromTheIssue(result);
        var issued = result.Timeline.Single(e => e.Name == "fault issued");
        Assert.Equal(control.FaultDescription(sandbox.Target.Member("node0")), issued.Detail);
    }

    [Theory]
    [InlineData(StoreEngines.MariaDb)]
    [InlineData(StoreEngines.Redis)]
    public async Task A_replica_set_failover_is_timed_from_the_issue_of_its_kill(string engine)
    {
        using var root = new TemporaryRoot();
        var options = new SandboxOptions { Engine = engine, Standbys = 1, Root = root.Path };
        await using var sandbox = await Sandbox.CreateAsync(options, CancellationToken.None);
        var cluster = (IReplicaSet)sandbox.Cluster;
        var drill = new ReplicaSetDrill(cluster);
        var plan = await drill.PlanAsync(Failover, CancellationToken.None);

        var result = await drill.RunAsync(plan, Failover, CancellationToken.None);

        AssertTimedFromTheIssue(result);
        Assert.Equal(cluster.FaultDescription("node0"), result.Timeline.Single(e => e.Name == "fault issued").Detail);
    }
}
