using DrTools.Core.Engines;
using DrTools.Core.Failover;
using DrTools.Core.Integrity;
using DrTools.Core.Probes;
using DrTools.Core.Redis;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

/// <summary>
/// A replica that is not promoted but holds a write of its own (replica-read-only no for a moment): no offset shows it, a
/// partial resync from the new primary keeps it, and the drill's integrity must fail naming the replica and the key.
/// </summary>
public sealed class RedisReplicaDivergenceTests
{
    /// <summary>The tester's reproduction, with redis-cli: user:errant written on node2 alone.</summary>
    private static async Task WriteOnReplicaAsync(Sandbox sandbox, string replica)
    {
        await RedisTests.CliAsync(sandbox, "node0", "MSET", "user:1", "ada", "user:2", "grace", "order:1", "42");
        await RedisTests.CliAsync(sandbox, replica, "CONFIG", "SET", "replica-read-only", "no");
        await RedisTests.CliAsync(sandbox, replica, "SET", "user:errant", "1");
        await RedisTests.CliAsync(sandbox, replica, "CONFIG", "SET", "replica-read-only", "yes");
    }

    private static FailoverOptions Options(FailoverMode mode, string? candidate) => new()
    {
        Mode = mode, Candidate = candidate, WriteProbe = new ProbeOptions { Rate = 25 }, ReadProbe = new ProbeOptions { Rate = 20 },
    };

    private static async Task<FailoverResult> DrillAsync(IRecovery drill, FailoverOptions options)
    {
        var plan = await drill.PlanAsync(options, CancellationToken.None);
        return await drill.RunAsync(plan, options, CancellationToken.None);
    }

    /// <summary>The result fails integrity on the replica that holds the key, named with the key, and the drill is not met.</summary>
    private static void AssertDiverged(FailoverResult result, string replica, string detail)
    {
        Assert.Equal("FAIL", result.IntegrityResult);
        Assert.False(result.Met);
        var difference = Assert.Single(result.Integrity!.Differences,
            d => d.Table.StartsWith($"replica {replica}", StringComparison.Ordinal));
        Assert.Contains(detail, difference.Reason);
        Assert.Contains("user:errant", difference.Reason);
        // Key names, never values.
        Assert.DoesNotContain("grace", result.Integrity.ToString());
        Assert.Contains("each replica replicating at the drill's end", result.Integrity.Reference.HowMeasured);
    }

    [Theory]
    [InlineData(FailoverMode.Switchover)]
    [InlineData(FailoverMode.Failover)]
    public async Task A_replica_not_promoted_that_kept_a_write_of_its_own_fails_the_drills_integrity(FailoverMode mode)
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await RedisTests.CreateAsync(root);
        await WriteOnReplicaAsync(sandbox, "node2");
        var cluster = (IReplicaSet)sandbox.Cluster;
        var drill = new ReplicaSetDrill(cluster);
        var options = Options(mode, "node1");

        // Status knows it before the drill (a few keys: cheap), and the plan leaves node2 as it is.
        var status = await cluster.GetStatusAsync(CancellationToken.None);
        Assert.False(status.Healthy);
        Assert.Contains(status.Problems,
            p => p.StartsWith("node2", StringComparison.Ordinal) && p.Contains("1 only on the replica (user:errant)"));
        var plan = await drill.PlanAsync(options, CancellationToken.None);
        Assert.Contains(plan.Steps, s => s.StartsWith("never promote node2", StringComparison.Ordinal));
        await Assert.ThrowsAsync<DrToolsException>(() => drill.PlanAsync(Options(mode, "node2"), CancellationToken.None));
        var result = await drill.RunAsync(plan, options, CancellationToken.None);

        Assert.Equal("node1", result.TopologyAfter.Primary!.Name);
        AssertDiverged(result, "node2", "1 only on the replica (user:errant)");
        // It is still there after the drill: the partial resync kept it, and the comparison said so rather than hid it.
        Assert.Equal("1", await RedisTests.CliAsync(sandbox, "node2", "GET", "user:errant"));
        Assert.Equal("", await RedisTests.CliAsync(sandbox, "node1", "GET", "user:errant"));
    }

    [Theory]
    [InlineData(FailoverMode.Switchover)]
    [InlineData(FailoverMode.Failover)]
    public async Task A_write_of_its_own_made_after_the_plan_is_caught_at_the_drills_end(FailoverMode mode)
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await RedisTests.CreateAsync(root);
        var drill = new ReplicaSetDrill((IReplicaSet)sandbox.Cluster);
        var options = Options(mode, "node1");
        var plan = await drill.PlanAsync(options, CancellationToken.None);
        Assert.True(plan.Before.Healthy, plan.Before.Verdict);
        await WriteOnReplicaAsync(sandbox, "node2");

        var result = await drill.RunAsync(plan, options, CancellationToken.None);

        // Re-pointed as any replica, node2 kept its key through the partial resync; the comparison at the end names it.
        AssertDiverged(result, "node2", "1 only on the replica (user:errant)");
        Assert.Contains(result.Timeline, e => e.Name == "replicas re-pointed" && e.Detail!.Contains("node2", StringComparison.Ordinal));
        Assert.Equal("1", await RedisTests.CliAsync(sandbox, "node2", "GET", "user:errant"));
    }

    [Fact]
    public async Task Status_compares_the_replicas_data_only_up_to_its_key_limit_and_says_so()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await RedisTests.CreateAsync(root, replicas: 1);
        var cluster = (IReplicaSet)sandbox.Cluster;
        await WriteOnReplicaAsync(sandbox, "node1");
        var status = await cluster.GetStatusAsync(CancellationToken.None);
        Assert.Contains("node1", Assert.Single(status.Problems));
        Assert.Contains("user:errant", status.Standbys.Single().Divergence);
        Assert.Contains("compared with the primary's", Assert.Single(status.Checks));

        var keys = Enumerable.Range(0, (int)RedisReplicas.StatusKeyLimit).SelectMany(i => new[] { $"bulk:{i}", "x" }).ToArray();
        await RedisTests.CliAsync(sandbox, "node0", ["MSET", .. keys]);
        status = await cluster.GetStatusAsync(CancellationToken.None);
        Assert.True(status.Healthy, status.Verdict);
        Assert.Contains($"more than the {RedisReplicas.StatusKeyLimit} status compares", Assert.Single(status.Checks));
    }

    /// <summary>
    /// Messages published on the primary move every replication offset without changing a key (Sentinels publish a hello
    /// every 2 s each): status compared only when no offset moved while the keys were read, and a diverged replica read
    /// healthy, "not compared", in 2 of 6 calls on a Sentinel sandbox.
    /// </summary>
    [Fact]
    public async Task Status_names_a_diverged_replica_on_every_call_while_messages_move_the_offsets()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await RedisTests.CreateAsync(root, replicas: 1);
        var cluster = (IReplicaSet)sandbox.Cluster;
        await WriteOnReplicaAsync(sandbox, "node1");
        using var stop = new CancellationTokenSource();
        var publishing = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested) await RedisTests.CliAsync(sandbox, "node0", "PUBLISH", "noise", "hello");
        });
        try
        {
            for (var call = 1; call <= 6; call++)
            {
                var status = await cluster.GetStatusAsync(CancellationToken.None);
                Assert.False(status.Healthy, $"call {call}: {status.Verdict}; {string.Join("; ", status.Checks)}");
                Assert.Contains("user:errant", status.Standbys.Single().Divergence);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await publishing;
        }
    }

    [Fact]
    public async Task A_clean_failover_compares_every_replica_and_passes()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await RedisTests.CreateAsync(root);
        await RedisTests.CliAsync(sandbox, "node0", "MSET", "user:1", "ada", "order:1", "42");
        await RedisTests.CliAsync(sandbox, "node0", "PEXPIRE", "order:1", "3600000");
        var options = Options(FailoverMode.Failover, null) with { Rejoin = true };

        var result = await DrillAsync(new ReplicaSetDrill((IReplicaSet)sandbox.Cluster), options);

        Assert.Equal("PASS", result.IntegrityResult);
        Assert.True(result.Met, string.Join("; ", result.Figures.Where(f => f.Met == false)));
        var compared = result.TopologyAfter.Standbys.Select(s => s.Display).ToList();
        Assert.Equal(2, compared.Count); // the other replica and the old primary, rejoined
        Assert.All(compared, c => Assert.Contains(c, result.Integrity!.Reference.HowMeasured));
    }

    [Fact]
    public async Task With_Sentinels_a_replica_holding_a_write_of_its_own_fails_the_integrity_whichever_one_they_promote()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await RedisTests.CreateAsync(root, sentinels: true);
        await WriteOnReplicaAsync(sandbox, "node2");
        var cluster = (RedisCluster)sandbox.Cluster;

        var drill = cluster.Recovery(RecoveredBy.Sentinel);
        var options = Options(FailoverMode.Failover, null) with { Rejoin = true };
        var plan = await drill.PlanAsync(options, CancellationToken.None);
        Assert.Contains(plan.Steps, s => s.StartsWith("beware: node2", StringComparison.Ordinal) && s.Contains("user:errant"));
        var result = await drill.RunAsync(plan, options, CancellationToken.None);

        Assert.Equal("FAIL", result.IntegrityResult);
        Assert.False(result.Met);
        // Another promoted, node2 alone holds the key, unless a full resync from node2 on the way spread it (seen once): then
        // the new primary holds a key the old one never had. Either way the drill says so.
        var differences = result.Integrity!.Differences;
        Assert.Contains(differences, d => d.Table.StartsWith("replica node2", StringComparison.Ordinal) || d.Table == "user:*");
        Assert.All(differences.Where(d => d.Table.StartsWith("replica ", StringComparison.Ordinal)),
            d => Assert.Contains("user:errant", d.Reason));
    }

    /// <summary>
    /// node1 holds the write of its own and wins a tie of offsets; the status during the drill cannot compare data while
    /// the probes write, and the failover promoted it though the plan had found it diverged.
    /// </summary>
    [Fact]
    public async Task A_failover_never_promotes_a_replica_the_plan_found_diverged()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await RedisTests.CreateAsync(root);
        await WriteOnReplicaAsync(sandbox, "node1");
        var drill = new ReplicaSetDrill((IReplicaSet)sandbox.Cluster);
        var options = Options(FailoverMode.Failover, null);
        var plan = await drill.PlanAsync(options, CancellationToken.None);
        Assert.Contains(plan.Steps, s => s.StartsWith("never promote node1", StringComparison.Ordinal));

        var result = await drill.RunAsync(plan, options, CancellationToken.None);

        Assert.Equal("node2", result.TopologyAfter.Primary?.Name);
        Assert.Contains(result.Timeline, e => e.Name == "replicas left out of the choice" && e.Detail!.Contains("node1"));
        Assert.Equal("FAIL", result.IntegrityResult);
    }

    /// <summary>
    /// The Sentinels promote the replica that holds a write of its own (the other may not be promoted): every replica may
    /// then copy it, and comparing them with it found them identical, a PASS. The new primary is held to the old one's data.
    /// </summary>
    [Fact]
    public async Task With_Sentinels_that_promote_the_replica_holding_a_write_of_its_own_the_integrity_fails()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await RedisTests.CreateAsync(root, sentinels: true);
        await WriteOnReplicaAsync(sandbox, "node2");
        await RedisTests.CliAsync(sandbox, "node1", "CONFIG", "SET", "replica-priority", "0");
        var drill = ((RedisCluster)sandbox.Cluster).Recovery(RecoveredBy.Sentinel);
        var options = Options(FailoverMode.Switchover, null);
        var plan = await drill.PlanAsync(options, CancellationToken.None);
        Assert.Equal("checksum the data in scope on the primary", plan.Steps[0]);

        var result = await drill.RunAsync(plan, options, CancellationToken.None);

        Assert.Equal("node2", result.TopologyAfter.Primary?.Name);
        Assert.Equal("FAIL", result.IntegrityResult);
        Assert.Contains(result.Integrity!.Differences, d => !d.Table.StartsWith("replica ", StringComparison.Ordinal));
    }
}
