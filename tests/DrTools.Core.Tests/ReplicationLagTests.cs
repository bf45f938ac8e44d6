using DrTools.Core.Replication;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

public sealed class ReplicationLagTests
{
    [Fact]
    public async Task Under_pgbench_load_lag_is_observed_heartbeat_is_measured_and_a_lower_threshold_is_not_met()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        await PgBench.InitializeAsync(sandbox);
        using var load = PgBench.StartLoad(sandbox, TimeSpan.FromSeconds(8));
        await Task.Delay(500);

        var result = Assert.Single(await ReplicationLagTester.MeasureAsync(sandbox.Target, new ReplicationLagOptions
        {
            Heartbeat = true,
            Duration = TimeSpan.FromSeconds(3),
            Interval = TimeSpan.FromMilliseconds(200),
            MaxLagBytes = 0,
            MaxLag = TimeSpan.FromTicks(1),
        }, CancellationToken.None));
        await load.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, load.ExitCode);
        Assert.StartsWith("node1", result.Standby);
        Assert.True(result.LagBytes.Measured > 0, "no lag in bytes observed under write load");
        // 3 s at 200 ms: at most 16 samples; fewer when heartbeats under load take longer than the interval.
        Assert.InRange(result.LagBytes.Samples, 5, 16);
        Assert.True(result.LagBytes.P95 <= result.LagBytes.Measured);
        Assert.False(result.LagBytes.Met);
        Assert.NotNull(result.HeartbeatLagSeconds);
        Assert.True(result.HeartbeatLagSeconds!.Measured > 0);
        Assert.Equal(result.LagBytes.Samples, result.HeartbeatLagSeconds.Samples);
        Assert.False(result.HeartbeatLagSeconds.Met);
        Assert.Null(result.ReplayLagSeconds.Target); // the time threshold is held against the heartbeat when there is one
        Assert.False(result.Met);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(sandbox, "node0", "select count(*) from drtools_heartbeat"));
    }

    [Fact]
    public async Task An_idle_caught_up_standby_meets_generous_thresholds()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var result = Assert.Single(await ReplicationLagTester.MeasureAsync(sandbox.Target, new ReplicationLagOptions
        {
            Heartbeat = true,
            MaxLagBytes = 16 * 1024 * 1024,
            MaxLag = TimeSpan.FromSeconds(5),
        }, CancellationToken.None));
        Assert.True(result.Met, $"{result.LagBytes} / {result.HeartbeatLagSeconds}");
        Assert.Equal(1, result.LagBytes.Samples);
        Assert.Equal(16 * 1024 * 1024, result.LagBytes.Target);
    }

    [Fact]
    public async Task A_cluster_without_a_primary_is_a_clear_error()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        await sandbox.Server("node0").StopAsync(Postgres.ShutdownMode.Fast, CancellationToken.None);
        var error = await Assert.ThrowsAsync<DrToolsException>(() => ReplicationLagTester.MeasureAsync(sandbox.Target, new ReplicationLagOptions(), CancellationToken.None));
        Assert.StartsWith($"sandbox {sandbox.Id}: cannot measure lag without exactly one primary: unhealthy: node0", error.Message);
    }
}
