using DrTools.Core.Engines;
using DrTools.Core.Failover;
using DrTools.Core.Probes;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

/// <summary>
/// A failover with one replica behind the other (its IO thread stopped): the promoted member decides whether the other
/// replica can replicate from it, and the drill says so.
/// </summary>
public sealed class MariaDbDivergedReplicaTests
{
    /// <summary>A sandbox whose node1 stopped receiving once the probe table reached it: node2 gets what node1 lacks.</summary>
    private static async Task<(Sandbox Sandbox, IReplicaSet Cluster)> CreateWithNode1BehindAsync(TemporaryRoot root)
    {
        var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Engine = StoreEngines.MariaDb, Standbys = 2, Root = root.Path },
            CancellationToken.None);
        var cluster = (IReplicaSet)sandbox.Cluster;
        await cluster.PrepareProbeAsync("node0", CancellationToken.None);
        var prepared = await cluster.AppliedPositionAsync("node0", CancellationToken.None);
        await Task.WhenAll(cluster.WaitAppliedAsync("node1", prepared, TimeSpan.FromSeconds(10), CancellationToken.None),
            cluster.WaitAppliedAsync("node2", prepared, TimeSpan.FromSeconds(10), CancellationToken.None));
        await MariaDbSql.ScalarAsync(sandbox, "node1", "stop slave io_thread; select 1");
        return (sandbox, cluster);
    }

    private static FailoverOptions Options(string? candidate) => new()
    {
        Mode = FailoverMode.Failover, Candidate = candidate, WriteProbe = new ProbeOptions { Rate = 50 },
        ReadProbe = new ProbeOptions { Rate = 10 }, CheckIntegrity = false, BaselineWrites = 20,
    };

    [Fact]
    public async Task Promoting_the_replica_behind_fails_the_drill_naming_the_replica_that_cannot_follow_without_waiting_a_minute()
    {
        using var root = new TemporaryRoot();
        var (sandbox, cluster) = await CreateWithNode1BehindAsync(root);
        await using var _ = sandbox;
        var drill = new ReplicaSetDrill(cluster);
        var options = Options("node1");
        var result = await drill.RunAsync(await drill.PlanAsync(options, CancellationToken.None), options, CancellationToken.None);
        var timeline = string.Join("\n", result.Timeline.Select(e => $"{e.At} {e.Name}: {e.Detail}"));

        // No objective was set and none failed: the replica that cannot follow alone decides the verdict.
        Assert.False(result.Met, timeline);
        Assert.Contains("node2 does not replicate from node1: it has transactions node1 lacks (its GTID 0-1-", result.State);
        Assert.Contains("rebuild it", result.State);
        // The wait for the replicas is named and ended on node2's own error, not after the phase timeout (60 s).
        var began = Assert.Single(result.Timeline, e => e.Name == "waiting for the replicas");
        var ended = Assert.Single(result.Timeline, e => e.Name == "replicas waited for");
        Assert.Contains("every reachable member but node1 replicating from it", began.Detail);
        Assert.Contains("node2 does not replicate from node1", ended.Detail);
        Assert.True(ended.At - began.At < TimeSpan.FromSeconds(10), timeline);

        // The writes node2 acknowledged as a replica of node0 and node1 never received are lost, exactly.
        var present = await cluster.ProbeSequencesAsync("node1", result.RunId, CancellationToken.None);
        var lost = result.WriteSamples.Where(s => s.Succeeded && !present.Contains(s.Sequence)).Select(s => s.Sequence).Order().ToList();
        Assert.Equal(lost, result.LostSequences);
        Assert.True(lost.Count >= 20, timeline); // every write of the baseline came after node1 stopped receiving
        // Among them, those node2 has: acknowledged, on a replica that survived, and still lost on the final primary.
        var onNode2 = await cluster.ProbeSequencesAsync("node2", result.RunId, CancellationToken.None);
        var onNode2Only = result.WriteSamples.Where(s => s.Succeeded && onNode2.Contains(s.Sequence) && !present.Contains(s.Sequence))
            .Select(s => s.Sequence).ToList();
        Assert.NotEmpty(onNode2Only);
        Assert.All(onNode2Only, s => Assert.Contains(s, result.LostSequences));
    }

    [Fact]
    public async Task Without_a_candidate_the_replica_with_the_most_transactions_is_promoted_and_the_other_follows_it()
    {
        using var root = new TemporaryRoot();
        var (sandbox, cluster) = await CreateWithNode1BehindAsync(root);
        await using var _ = sandbox;
        var drill = new ReplicaSetDrill(cluster);
        var options = Options(null);
        var result = await drill.RunAsync(await drill.PlanAsync(options, CancellationToken.None), options, CancellationToken.None);
        var timeline = string.Join("\n", result.Timeline.Select(e => $"{e.At} {e.Name}: {e.Detail}"));

        Assert.Equal("node2", result.TopologyAfter.Primary?.Name);
        var chosen = Assert.Single(result.Timeline, e => e.Name == "replica chosen");
        Assert.StartsWith("node2, the most advanced by GTID position", chosen.Detail);
        Assert.Contains("node1 at 0-1-", chosen.Detail);
        Assert.Contains("chosen by DrTools", result.State);
        // node1 lacks nothing node2 has: it replicates from node2, and the drill passes.
        Assert.True(result.Met, timeline);
        Assert.DoesNotContain("does not replicate", result.State);
        Assert.Contains(result.TopologyAfter.Standbys, s => s.Name == "node1" && s.ReplicationState == "streaming");

        // A replica that replicates from nobody (a rejoin refused leaves the old primary so) will never follow by itself.
        await MariaDbSql.ScalarAsync(sandbox, "node1", "stop slave; reset slave all; select 1");
        var node1 = (await cluster.GetStatusAsync(CancellationToken.None)).Members.Single(m => m.Name == "node1");
        Assert.Equal(("it is read-only and replicates from nobody", true), (node1.ReplicationError, node1.ReplicationHalted));
    }
}
