using DrTools.Core.Cluster;
using DrTools.Core.Postgres;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

public sealed class ClusterStatusTests
{
    [Fact]
    public async Task A_stopped_standby_makes_the_cluster_unhealthy_naming_it_and_its_slot()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 2, Root = root.Path }, CancellationToken.None);
        await sandbox.Server("node2").StopAsync(ShutdownMode.Fast, CancellationToken.None);

        var status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);

        Assert.False(status.Healthy);
        var node2 = sandbox.Members.Single(m => m.Name == "node2");
        Assert.Contains(status.Problems, p => p.StartsWith($"node2 (127.0.0.1:{node2.Port}): unreachable: connection refused", StringComparison.Ordinal));
        Assert.Contains(status.Problems, p => p.StartsWith("replication slot 'node2' on primary node0", StringComparison.Ordinal) && p.Contains("inactive"));
        Assert.DoesNotContain(status.Problems, p => p.Contains("node1"));
        Assert.Equal(MemberRole.Unreachable, status.Members.Single(m => m.Name == "node2").Role);
        Assert.Equal("streaming", status.Members.Single(m => m.Name == "node1").ReplicationState);
    }

    /// <summary>
    /// node2 promoted on its own and written to, then made a standby again, is on a timeline 2 of its own; once node1 is
    /// promoted (timeline 2 as well, branched elsewhere) the timeline numbers are equal, and only the histories tell.
    /// </summary>
    [Fact]
    public async Task A_standby_on_the_primary_s_timeline_number_that_branched_off_elsewhere_is_diverged()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 2, Root = root.Path }, CancellationToken.None);
        await Sql.ForkAsync(sandbox, "node2", "create table forked_writes as select generate_series(1, 1000) as id");
        await Sql.ExecuteAsync(sandbox, "node0", "create table later_writes as select generate_series(1, 1000) as id");
        await sandbox.Server("node0").StopAsync(ShutdownMode.Fast, CancellationToken.None);
        Assert.True(await Sql.ScalarAsync<bool>(sandbox, "node1", "select pg_promote()"));

        var status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);

        Assert.Equal("node1", status.Primary?.Name);
        var forked = status.Members.Single(m => m.Name == "node2");
        Assert.Equal((2, 2), (forked.Timeline, status.Primary!.Timeline));
        Assert.Matches(@"^on a timeline 2 of its own: its history is timeline 1 until \S+, the primary's timeline 1 until \S+: diverged$",
            forked.Divergence);
        Assert.Contains(status.Problems, p => p.StartsWith("standby node2", StringComparison.Ordinal) && p.EndsWith(": diverged"));
        Assert.DoesNotContain(status.Promotable, m => m.Name == "node2");
    }

    /// <summary>
    /// The fork on timeline 2 stays a fork once the primary has gone on to timeline 3 through another timeline 2: the
    /// timeline number and position fit the primary's history, PostgreSQL itself streams to it, and a drill re-pointed it.
    /// </summary>
    [Fact]
    public async Task A_standby_forked_onto_timeline_2_stays_diverged_once_the_primary_is_on_timeline_3()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 3, Root = root.Path }, CancellationToken.None);
        await Sql.ForkAsync(sandbox, "node3", "create table forked_writes as select generate_series(1, 1000) as id");
        await Sql.ExecuteAsync(sandbox, "node0", "create table later_writes as select generate_series(1, 1000) as id");
        var written = await Sql.ScalarAsync<string>(sandbox, "node0", "select pg_current_wal_lsn()::text");
        await ReplayedAsync(sandbox, "node2", written);
        await sandbox.Server("node0").StopAsync(ShutdownMode.Fast, CancellationToken.None);
        Assert.True(await Sql.ScalarAsync<bool>(sandbox, "node1", "select pg_promote()"));
        // node2 follows node1 onto its timeline 2, then takes over from it: timeline 3.
        var node1 = sandbox.Members.Single(m => m.Name == "node1").Port;
        var conninfo = await Sql.ScalarAsync<string>(sandbox, "node2", "select current_setting('primary_conninfo')");
        conninfo = System.Text.RegularExpressions.Regex.Replace(conninfo, @"port=\d+", $"port={node1}");
        await Sql.ExecuteAsync(sandbox, "node2", $"alter system set primary_conninfo = '{conninfo.Replace("'", "''")}'; "
            + "alter system set primary_slot_name = ''; select pg_reload_conf()");
        await Sql.ExecuteAsync(sandbox, "node1", "create table timeline_2_writes as select generate_series(1, 10) as id");
        await ReplayedAsync(sandbox, "node2", await Sql.ScalarAsync<string>(sandbox, "node1", "select pg_current_wal_lsn()::text"));
        await sandbox.Server("node1").StopAsync(ShutdownMode.Fast, CancellationToken.None);
        Assert.True(await Sql.ScalarAsync<bool>(sandbox, "node2", "select pg_promote()"));

        var status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);

        Assert.Equal("node2", status.Primary?.Name);
        var forked = status.Members.Single(m => m.Name == "node3");
        Assert.Equal((2, 3), (forked.Timeline, status.Primary!.Timeline));
        Assert.Matches(@"^on a timeline 2 of its own: its history is timeline 1 until \S+, the primary's timeline 1 until \S+, "
            + @"timeline 2 until \S+: diverged$", forked.Divergence);
        Assert.DoesNotContain(status.Promotable, m => m.Name == "node3");
    }

    private static Task ReplayedAsync(Sandbox sandbox, string standby, string lsn) => Polling.RequireAsync(
        async () => await Sql.ScalarAsync<bool>(sandbox, standby, $"select pg_last_wal_replay_lsn() >= '{lsn}'"),
        TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(20), () => $"{standby} did not replay {lsn}", CancellationToken.None);

    [Fact]
    public async Task An_inactive_slot_is_reported_and_a_second_primary_is_split_brain()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        await Sql.ExecuteAsync(sandbox, "node0", "select pg_create_physical_replication_slot('forgotten', true)");

        var status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);
        Assert.False(status.Healthy);
        var problem = Assert.Single(status.Problems);
        Assert.StartsWith("replication slot 'forgotten' on primary node0", problem);
        Assert.False(status.Slots.Single(s => s.SlotName == "forgotten").Active);

        await Sql.ExecuteAsync(sandbox, "node0", "select pg_drop_replication_slot('forgotten')");
        await Sql.ExecuteAsync(sandbox, "node1", "select pg_promote(wait => true)");
        status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);
        Assert.Contains(status.Problems, p => p.StartsWith("2 primaries (split brain): node0", StringComparison.Ordinal));
        Assert.Equal(2, status.Members.Single(m => m.Name == "node1").Timeline);
    }

    [Fact]
    public async Task Wrong_password_is_a_one_line_error_naming_the_member_without_the_password()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        var port = sandbox.Members[0].Port;
        var member = DbMember.Parse($"Host=127.0.0.1;Port={port};Username=drtools;Password=Wr0ngHorseBattery", 1);

        var error = await Assert.ThrowsAsync<MemberException>(() => member.OpenAsync(CancellationToken.None));

        Assert.Equal($"127.0.0.1:{port}: password authentication failed for user \"drtools\"", error.Message);
        var status = await ClusterInspector.GetStatusAsync(new DbTarget("t", [member], false), CancellationToken.None);
        Assert.DoesNotContain("Wr0ngHorseBattery", status.Verdict);
        Assert.Contains("password authentication failed", status.Verdict);
    }

    [Fact]
    public async Task Nothing_listening_is_connection_refused()
    {
        var port = LoopbackPort.Free();
        var target = DbTarget.FromConnectionStrings([$"Host=127.0.0.1;Port={port};Username=x;Password=S3cretPass"]);
        var status = await ClusterInspector.GetStatusAsync(target, CancellationToken.None);
        Assert.Equal($"unhealthy: 127.0.0.1:{port}: unreachable: connection refused: nothing is listening on 127.0.0.1:{port}", status.Verdict);
    }

    /// <summary>A server that ends the session mid-answer (a PANIC restarts them all) was "Attempted to read past the end of the stream".</summary>
    [Fact]
    public async Task A_server_that_closes_the_connection_is_named_so()
    {
        using var closing = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closing.Start();
        var port = ((System.Net.IPEndPoint)closing.LocalEndpoint).Port;
        var accepting = Task.Run(async () =>
        {
            for (var i = 0; i < 4; i++) (await closing.AcceptTcpClientAsync()).Dispose();
        });
        var member = DbMember.Parse($"Host=127.0.0.1;Port={port};Username=x;Password=S3cretPass", 1);

        var error = await Assert.ThrowsAsync<MemberException>(() => member.OpenAsync(CancellationToken.None));

        Assert.Equal($"127.0.0.1:{port}: the server closed the connection (the session was ended, or the server restarted)",
            error.Message);
    }

    [Fact]
    public async Task A_server_that_never_answers_fails_within_the_connect_timeout()
    {
        // Accepts TCP connections and never speaks: the PostgreSQL handshake can only time out.
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
        var member = DbMember.Parse($"Host=127.0.0.1;Port={port};Username=x;Password=S3cretPass", 1, connectTimeout: TimeSpan.FromSeconds(1));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<MemberException>(() => member.OpenAsync(CancellationToken.None));

        Assert.Equal($"127.0.0.1:{port}: no answer within 1s", error.Message);
        Assert.Equal(DrErrorKind.Timeout, error.Kind);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
    }

    [Theory]
    [InlineData("Host=127.0.0.1;Port=notaport;Password=S3cretPass", "member #2: invalid connection string")]
    [InlineData("Hots=127.0.0.1;Password=S3cretPass", "member #2: invalid connection string")]
    [InlineData("Password=S3cretPass;Host", "member #2: invalid connection string")]
    [InlineData("Port=5432;Password=S3cretPass", "member #2: invalid connection string: it names no Host.")]
    [InlineData("Host=a,b;Password=S3cretPass", "member #2: give one host per member")]
    public void Malformed_connection_strings_name_the_member_and_never_the_password(string connectionString, string expected)
    {
        var error = Assert.ThrowsAny<DrToolsException>(() => DbTarget.FromConnectionStrings(["Host=127.0.0.1", connectionString]));
        Assert.StartsWith(expected, error.Message);
        Assert.DoesNotContain("S3cretPass", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Equal(DrErrorKind.InvalidArgument, error.Kind);
    }

    [Theory]
    [InlineData("localhost:5432", "127.0.0.1:5432", true)]
    [InlineData("127.0.0.1:5432", "127.0.0.1:5433", false)]
    [InlineData("db1:5432", "DB1:5432", true)]
    [InlineData("10.0.0.1:5432", "10.0.0.2:5432", false)]
    public void Endpoints_compare_by_address(string a, string b, bool same) => Assert.Equal(same, ClusterInspector.SameEndpoint(a, b));
}
