using System.Diagnostics;
using DrTools.Core.Faults;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;
using Npgsql;

namespace DrTools.Core.Tests;

/// <summary>A sandbox behind a fault proxy: primary node0, standby node1.</summary>
public sealed class ProxiedSandbox() : FaultSandboxFixture(new SandboxOptions { Standbys = 1, FaultProxy = true });

/// <summary>Latency, Jitter, Bandwidth, ResetConnections and Blackhole through a real fault proxy in front of real PostgreSQL.</summary>
[Collection("Faults")]
public sealed class ProxyFaultTests(ProxiedSandbox fixture) : IClassFixture<ProxiedSandbox>
{
    private Sandbox Sandbox => fixture.Sandbox;

    private async Task<FaultRecord> StartAsync(FaultKind kind, string member, params string[] parameters) =>
        await Faults.Faults.StartAsync(FaultTargets.Resolve(kind, Sandbox.Target, Sandbox, member, FaultTargets.ParseParameters(parameters), null), null, CancellationToken.None);

    private async Task<NpgsqlConnection> OpenAsync(string member, int timeoutSeconds = 5)
    {
        var builder = new NpgsqlConnectionStringBuilder(Sandbox.ConnectionString(Sandbox.Members.Single(m => m.Name == member))) { Timeout = timeoutSeconds, CommandTimeout = timeoutSeconds, Pooling = false };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>How long one query takes on an open connection.</summary>
    private static async Task<TimeSpan> TimeAsync(NpgsqlConnection connection, string sql = "select 1")
    {
        var started = Stopwatch.GetTimestamp();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteScalarAsync();
        return Stopwatch.GetElapsedTime(started);
    }

    private async Task<int> ToxicsAsync() => (await Sandbox.FaultProxyStateAsync(CancellationToken.None)).Sum(l => l.Toxics.Count);

    [Fact]
    public async Task Every_member_is_reached_through_the_proxy_and_the_standby_streams_through_it()
    {
        var listeners = await Sandbox.FaultProxyStateAsync(CancellationToken.None);

        Assert.Equal(Sandbox.Members.Select(m => (m.ProxyPort!.Value, m.Port)).Order(), listeners.Select(l => (l.Port, l.Upstream)).Order());
        Assert.All(Sandbox.Members, m => Assert.NotEqual(m.Port, m.ClientPort));
        Assert.Equal(Sandbox.Members[0].ProxyPort, await Sql.ScalarAsync<int>(Sandbox, "node1", "select sender_port from pg_stat_wal_receiver"));
        Assert.Contains(listeners, l => l.Port == Sandbox.Members[0].ProxyPort && l.Connections >= 1);
    }

    [Fact]
    public async Task Latency_delays_every_query_on_an_open_connection_both_ways_and_is_gone_after_the_undo()
    {
        await using var connection = await OpenAsync("node1");
        Assert.True(await TimeAsync(connection) < TimeSpan.FromMilliseconds(150));

        var fault = await StartAsync(FaultKind.Latency, "node1", "delay=150ms");
        var slowed = await TimeAsync(connection);
        Assert.Equal($"Latency {fault.Id} on port {Sandbox.Members[1].ProxyPort}", Assert.Single((await FaultTrace.FindAsync(FaultMembers.Of(Sandbox), CancellationToken.None)).Toxics));
        var end = await Faults.Faults.StopAsync(fault, CancellationToken.None);

        Assert.True(slowed >= TimeSpan.FromMilliseconds(300), $"a round trip took {slowed.TotalMilliseconds} ms under 150 ms each way");
        Assert.True(end.Undone, end.Undo);
        Assert.True(await TimeAsync(connection) < TimeSpan.FromMilliseconds(150));
        Assert.Equal(0, await ToxicsAsync());
        Assert.True((await FaultTrace.FindAsync(FaultMembers.Of(Sandbox), CancellationToken.None)).Clear);
    }

    [Fact]
    public async Task A_chunk_held_by_a_long_latency_goes_on_as_soon_as_the_fault_is_stopped()
    {
        await using var connection = await OpenAsync("node1", timeoutSeconds: 30);
        var fault = await StartAsync(FaultKind.Latency, "node1", "delay=20s", "direction=toMember");
        var query = TimeAsync(connection);
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        Assert.False(query.IsCompleted);

        await Faults.Faults.StopAsync(fault, CancellationToken.None);

        Assert.True(await query.WaitAsync(TimeSpan.FromSeconds(5)) < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Jitter_spreads_round_trips_at_random()
    {
        await using var connection = await OpenAsync("node1");
        var fault = await StartAsync(FaultKind.Jitter, "node1", "jitter=200ms", "direction=fromMember");
        var times = new List<TimeSpan>();
        for (var i = 0; i < 12; i++) times.Add(await TimeAsync(connection));
        await Faults.Faults.StopAsync(fault, CancellationToken.None);

        // Twelve draws of 0 to 200 ms that all fall within 40 ms of each other: about one chance in 10^7.
        Assert.True(times.Max() - times.Min() > TimeSpan.FromMilliseconds(40), string.Join(", ", times.Select(t => t.TotalMilliseconds)));
        Assert.True(times.Max() < TimeSpan.FromMilliseconds(1000));
    }

    [Fact]
    public async Task Bandwidth_caps_what_a_result_can_carry_per_second()
    {
        const string Result = "select string_agg(md5(i::text), '') from generate_series(1, 8000) i"; // 256,000 bytes
        await using var connection = await OpenAsync("node1", timeoutSeconds: 30);
        var unlimited = await TimeAsync(connection, Result);

        var fault = await StartAsync(FaultKind.Bandwidth, "node1", "rate=100KB");
        var capped = await TimeAsync(connection, Result);
        await Faults.Faults.StopAsync(fault, CancellationToken.None);

        // 256,000 bytes at 102,400 bytes/s: at least 1.8 s once the first chunk (64 KiB, sent at once) is through.
        Assert.True(capped >= TimeSpan.FromSeconds(1.8), $"{capped.TotalMilliseconds} ms capped, {unlimited.TotalMilliseconds} ms before");
        Assert.True(await TimeAsync(connection, Result) < TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task ResetConnections_breaks_open_connections_and_refuses_new_ones_until_undone()
    {
        await using var open = await OpenAsync("node1");
        var fault = await StartAsync(FaultKind.ResetConnections, "node1");

        await Assert.ThrowsAnyAsync<NpgsqlException>(() => TimeAsync(open));
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => OpenAsync("node1"));
        await Faults.Faults.StopAsync(fault, CancellationToken.None);

        await using var fresh = await OpenAsync("node1");
        Assert.True(await TimeAsync(fresh) < TimeSpan.FromSeconds(1));
        Assert.Equal(0, await ToxicsAsync());
    }

    [Fact]
    public async Task Blackhole_holds_an_open_connection_silent_and_it_carries_on_after_the_undo()
    {
        await using var open = await OpenAsync("node1", timeoutSeconds: 30);
        var fault = await StartAsync(FaultKind.Blackhole, "node1");
        var query = TimeAsync(open);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(query.IsCompleted);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => OpenAsync("node1", timeoutSeconds: 1));

        await Faults.Faults.StopAsync(fault, CancellationToken.None);

        // Held, not lost: the query that waited through it completes on the same connection.
        await query.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(await TimeAsync(open) < TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Two_faults_on_two_members_end_one_at_a_time_without_undoing_each_other()
    {
        await using var primary = await OpenAsync("node0", timeoutSeconds: 30);
        await using var standby = await OpenAsync("node1", timeoutSeconds: 30);
        var latency = await StartAsync(FaultKind.Latency, "node0", "delay=200ms");
        try
        {
            var blackhole = await StartAsync(FaultKind.Blackhole, "node1");

            await Faults.Faults.StopAsync(blackhole, CancellationToken.None);

            Assert.True(await TimeAsync(standby) < TimeSpan.FromMilliseconds(200));
            var slowed = await TimeAsync(primary);
            var state = string.Join("; ", (await Sandbox.FaultProxyStateAsync(CancellationToken.None))
                .Select(l => $"{l.Port}: {string.Join(", ", l.Toxics.Select(t => $"{t.Kind} {t.DelayMs} ms"))}"));
            Assert.True(slowed >= TimeSpan.FromMilliseconds(400), $"a round trip took {slowed.TotalMilliseconds} ms; proxy: {state}");
            Assert.Equal(1, await ToxicsAsync());
        }
        finally
        {
            // A failed assertion must not leave the latency to the next tests of the shared sandbox.
            await Faults.Faults.StopAsync(latency, CancellationToken.None);
        }
        Assert.True(await TimeAsync(primary) < TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Proxy_faults_are_refused_in_one_line_for_a_member_not_behind_a_proxy_and_for_bad_parameters()
    {
        var unproxied = Assert.Throws<DrToolsException>(() => Faults.Faults.Plan(FaultTargets.Resolve(FaultKind.Latency, Sandbox.Target, null, "node0", new Dictionary<string, string>(), null)));
        Assert.Contains("not behind one: create the sandbox with a fault proxy (New-DrSandbox -FaultProxy", unproxied.Message);
        Assert.Contains("Nothing was changed", unproxied.Message);

        Assert.Contains("Bandwidth rate (bytes per second): 'fast' is not a size", Assert.Throws<DrToolsException>(() => Plan(FaultKind.Bandwidth, "rate=fast")).Message);
        Assert.Contains("Latency direction 'sideways'", Assert.Throws<DrToolsException>(() => Plan(FaultKind.Latency, "direction=sideways")).Message);
        Assert.Contains("Latency delay", Assert.Throws<DrToolsException>(() => Plan(FaultKind.Latency, "delay=soon")).Message);
        Assert.Contains("ResetConnections takes no parameter 'percent'", Assert.Throws<DrToolsException>(() => Plan(FaultKind.ResetConnections, "percent=3")).Message);
        Assert.Contains("Jitter takes no parameter 'from'", Assert.Throws<DrToolsException>(() => Plan(FaultKind.Jitter, "from=node0")).Message);
        Assert.Empty(Faults.Faults.List());
    }

    private string Plan(FaultKind kind, params string[] parameters) =>
        Faults.Faults.Plan(FaultTargets.Resolve(kind, Sandbox.Target, Sandbox, "node1", FaultTargets.ParseParameters(parameters), null));
}

/// <summary>The fault proxy lives and dies with its sandbox.</summary>
public sealed class FaultProxyLifetimeTests
{
    [Fact]
    public async Task Removing_a_proxied_sandbox_stops_its_proxy_and_leaves_no_socket()
    {
        using var root = new TemporaryRoot();
        var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path, FaultProxy = true }, CancellationToken.None);
        var proxyFolder = Path.Combine(sandbox.Directory, "services", "fault-proxy");
        var proxy = Assert.Single(ProcessTable.FindByWorkingDirectory(proxyFolder));
        Assert.True(File.Exists(sandbox.FaultProxySocket));
        Assert.Contains("through a fault proxy", sandbox.ToString());

        // Another process (drtools sandbox down) finds it by id alone.
        await Sandbox.RemoveAsync(sandbox.Id, root.Path);

        Assert.False(ProcessTable.IsAlive(proxy));
        Assert.False(File.Exists(sandbox.FaultProxySocket));
        Assert.False(Directory.Exists(sandbox.Directory));
    }

    [Fact]
    public async Task A_Patroni_sandbox_with_a_fault_proxy_is_refused_before_anything_is_made()
    {
        using var root = new TemporaryRoot();
        var refused = await Assert.ThrowsAsync<DrToolsException>(() => Sandbox.CreateAsync(new SandboxOptions { Topology = SandboxTopology.Patroni, Root = root.Path, FaultProxy = true }, CancellationToken.None));

        Assert.Contains("a fault proxy is for a streaming sandbox", refused.Message);
        Assert.Empty(Sandbox.List(root.Path));
    }
}
