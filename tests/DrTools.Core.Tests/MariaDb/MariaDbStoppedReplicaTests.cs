using System.Diagnostics;
using DrTools.Core.Engines;
using DrTools.Core.Failover;
using DrTools.Core.Probes;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

/// <summary>
/// A replica whose replication was stopped (STOP SLAVE) before the drill created its probe table never receives it:
/// promoted, every probe write on it fails (1146) until the phase timeout. The drill refuses it before changing anything.
/// </summary>
public sealed class MariaDbStoppedReplicaTests
{
    private static FailoverOptions Options => new()
    {
        Mode = FailoverMode.Failover, Candidate = "node1", Rejoin = true, WriteProbe = new ProbeOptions { Rate = 50 },
        ReadProbe = new ProbeOptions { Rate = 10 }, CheckIntegrity = false, BaselineWrites = 10, PhaseTimeout = TimeSpan.FromSeconds(30),
    };

    private static async Task<(Sandbox Sandbox, IReplicaSet Cluster)> CreateAsync(TemporaryRoot root)
    {
        var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Engine = StoreEngines.MariaDb, Standbys = 2, Root = root.Path },
            CancellationToken.None);
        return (sandbox, (IReplicaSet)sandbox.Cluster);
    }

    private static Task<long> UptimeAsync(Sandbox sandbox) =>
        MariaDbSql.ScalarAsync(sandbox, "node0",
            "select variable_value from information_schema.global_status where variable_name = 'UPTIME'");

    [Fact]
    public async Task A_chosen_candidate_that_stopped_replicating_before_the_probe_table_existed_is_refused_by_the_plan()
    {
        using var root = new TemporaryRoot();
        var (sandbox, cluster) = await CreateAsync(root);
        await using var _ = sandbox;
        await MariaDbSql.ScalarAsync(sandbox, "node1", "stop slave; select 1");

        var refused = await Assert.ThrowsAsync<DrToolsException>(
            () => new ReplicaSetDrill(cluster).PlanAsync(Options, CancellationToken.None));

        Assert.Contains("cannot be promoted: ", refused.Message);
        Assert.Contains("has no table drtools.drtools_probe", refused.Message);
        Assert.Contains("its replication had stopped before the drill created it", refused.Message);
        Assert.Contains("Nothing was changed.", refused.Message);
        Assert.Equal(0, await MariaDbSql.ScalarAsync(sandbox, "node0", "select @@read_only"));
    }

    [Fact]
    public async Task A_candidate_stopped_between_the_plan_and_the_run_is_refused_before_the_fault_not_after_the_phase_timeout()
    {
        using var root = new TemporaryRoot();
        var (sandbox, cluster) = await CreateAsync(root);
        await using var _ = sandbox;
        var drill = new ReplicaSetDrill(cluster);
        var plan = await drill.PlanAsync(Options, CancellationToken.None);
        await MariaDbSql.ScalarAsync(sandbox, "node1", "stop slave; select 1");
        var uptime = await UptimeAsync(sandbox);

        var clock = Stopwatch.StartNew();
        var failed = await Assert.ThrowsAsync<DrToolsException>(() => drill.RunAsync(plan, Options, CancellationToken.None));

        Assert.True(clock.Elapsed < Options.PhaseTimeout / 2, $"{clock.Elapsed}: {failed.Message}");
        Assert.Contains("has no table drtools.drtools_probe", failed.Message);
        Assert.Contains("Nothing was changed.", failed.Message);
        // The primary was never killed: it still takes writes, and node1 was not promoted.
        Assert.Equal(0, await MariaDbSql.ScalarAsync(sandbox, "node0", "select @@read_only"));
        Assert.Equal(1, await MariaDbSql.ScalarAsync(sandbox, "node1", "select @@read_only"));
        Assert.True(await UptimeAsync(sandbox) >= uptime, "node0 was restarted: the drill killed it");
    }

    [Fact]
    public async Task Without_a_candidate_a_replica_stopped_before_the_probe_table_existed_is_left_out_of_the_choice_saying_why()
    {
        using var root = new TemporaryRoot();
        var (sandbox, cluster) = await CreateAsync(root);
        await using var _ = sandbox;
        await MariaDbSql.ScalarAsync(sandbox, "node2", "stop slave; select 1");
        var drill = new ReplicaSetDrill(cluster);
        var options = Options with { Candidate = null };

        var result = await drill.RunAsync(await drill.PlanAsync(options, CancellationToken.None), options, CancellationToken.None);

        var timeline = string.Join("\n", result.Timeline.Select(e => $"{e.At} {e.Name}: {e.Detail}"));
        var leftOut = Assert.Single(result.Timeline, e => e.Name == "replicas left out of the choice");
        Assert.StartsWith($"node2 (127.0.0.1:{sandbox.Members[2].Port}) has no table drtools.drtools_probe", leftOut.Detail);
        Assert.True(leftOut.At < result.Timeline.Single(e => e.Name == "fault issued").At, timeline);
        Assert.StartsWith("node1,", result.Timeline.Single(e => e.Name == "replica chosen").Detail);
        Assert.Equal("node1", result.TopologyAfter.Primary?.Name);
    }
}
