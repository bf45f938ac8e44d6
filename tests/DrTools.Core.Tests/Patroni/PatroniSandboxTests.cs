using DrTools.Core.Cluster;
using DrTools.Core.Failover;
using DrTools.Core.Patroni;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;
using Npgsql;

namespace DrTools.Core.Tests;

/// <summary>Patroni sandboxes with real etcd, Patroni and HAProxy (Debian's packages).</summary>
public sealed class PatroniSandboxTests
{
    [Fact]
    public async Task A_patroni_sandbox_comes_up_healthy_behind_haproxy_and_is_removed_completely()
    {
        using var root = new TemporaryRoot();
        var sandbox = await Sandbox.CreateAsync(new SandboxOptions
        {
            Topology = SandboxTopology.Patroni,
            Standbys = 2,
            Root = root.Path,
            PatroniSettings = PatroniSettings.Defaults.With(["ttl=10,loop_wait=2", "retry_timeout=4"]),
        }, CancellationToken.None);
        try
        {
            Assert.Equal(SandboxTopology.Patroni, sandbox.Topology);
            var status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);
            Assert.True(status.Healthy, status.Verdict);
            Assert.Equal("node0", status.Primary!.Name);
            Assert.Equal(2, status.Standbys.Count(s => s.ReplicationState == "streaming"));

            var patroni = await new PatroniApi(sandbox.PatroniNodes[1].RestUrl).ClusterAsync(CancellationToken.None);
            Assert.Equal("node0", patroni.Leader!.Name);
            Assert.False(patroni.Paused);
            Assert.Equal(["node0", "node1", "node2"], patroni.Members.Select(m => m.Name).Order());
            Assert.Equal("10", sandbox.PatroniSettingValues["ttl"]);
            Assert.Equal("2", sandbox.PatroniSettingValues["loop_wait"]);

            // The application's path: HAProxy's read-write port reaches the leader, the read-only port a replica.
            await using (var connection = new NpgsqlConnection(sandbox.ApplicationConnectionString))
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("select not pg_is_in_recovery(), inet_server_port()", connection);
                await using var reader = await command.ExecuteReaderAsync();
                await reader.ReadAsync();
                Assert.True(reader.GetBoolean(0));
                Assert.Equal(sandbox.Members[0].Port, reader.GetInt32(1));
            }
            var readOnly = new NpgsqlConnectionStringBuilder(sandbox.ApplicationConnectionString) { Port = sandbox.Patroni!.ReadPort }.ConnectionString;
            Assert.True(await Sql.ScalarOnAsync<bool>(readOnly, "select pg_is_in_recovery()"));

            var listed = Sandbox.List(root.Path).Single();
            Assert.Equal(SandboxState.Running, listed.State);
            Assert.StartsWith("Patroni: etcd 127.0.0.1:", listed.Note);
            var refused = Assert.Throws<DrToolsException>(() => MemberControls.For(sandbox, null, null, null));
            Assert.Contains("is managed by Patroni", refused.Message);
        }
        finally
        {
            await sandbox.DisposeAsync();
        }
        root.AssertNothingLeft();
        Assert.False(Directory.Exists(Path.Combine(Path.GetTempPath(), "drtools-sockets", sandbox.Id)));
    }

    [Fact]
    public async Task Status_shows_patroni_beside_postgresql_and_names_a_pause_a_switchover_and_a_silent_api()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions
        {
            Topology = SandboxTopology.Patroni,
            Standbys = 1,
            Root = root.Path,
            PatroniSettings = PatroniSettings.Defaults.With(["ttl=10,loop_wait=2"]),
        }, CancellationToken.None);
        var node0 = $"node0 (127.0.0.1:{sandbox.Members[0].Port})";
        var status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);
        Assert.True(status.Healthy, status.Verdict);
        Assert.Equal(node0, status.HaManager!.Leader);
        Assert.Null(status.HaManager.LastFailover);
        Assert.Equal(["leader running", "replica running"], status.HaManager.Members.Select(m => $"{m.Role} {m.State}"));
        Assert.Equal(0, status.HaManager.Members[1].LagBytes);

        var api = new PatroniApi(sandbox.PatroniNodes[0].RestUrl);
        await api.SetPausedAsync(true, CancellationToken.None);
        status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);
        Assert.False(status.Healthy);
        Assert.Equal("unhealthy: Patroni is paused (maintenance mode): no automatic failover would happen", status.Verdict);
        // A runbook target given by connection strings with patroni: is judged with Patroni's view too.
        var connections = string.Join(", ", sandbox.Members.Select(m => $"'{sandbox.ConnectionString(m)}'"));
        var runbook = $"name: paused\ntargets:\n  db: {{ connection: [{connections}], patroni: ['{sandbox.PatroniNodes[1].RestUrl}'] }}\npreChecks:\n  - {{ run: Get-DbClusterStatus, with: {{ target: db }} }}\nsteps:\n  - {{ run: Get-DbChecksum, with: {{ target: db }} }}\n";
        var run = await Runbooks.RunbookExecutor.RunAsync(Runbooks.RunbookParser.Parse(runbook, "paused.yml"), new Runbooks.RunbookRunOptions { HistoryRoot = root.Path }, CancellationToken.None);
        Assert.Equal(Runbooks.StepStatus.Failed, run.Steps[0].Status);
        Assert.Equal(status.Verdict, run.Steps[0].Message);
        await api.SetPausedAsync(false, CancellationToken.None);

        // A planned switchover through Patroni's API: its history records it, and the status follows the new leader.
        await api.SwitchoverAsync("node0", "node1", CancellationToken.None);
        Assert.True(await Polling.UntilAsync(async () => (status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None)).Healthy && status.Primary!.Name == "node1",
            TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200), CancellationToken.None), status.Verdict);
        Assert.Equal($"node1 (127.0.0.1:{sandbox.Members[1].Port})", status.HaManager!.Leader);
        Assert.Matches(@"^timeline 1 ended at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ, new leader node1 \(.+\)$", status.HaManager.LastFailover);

        var silent = sandbox.Target with { HaManager = PatroniManager.Parse([$"http://127.0.0.1:{LoopbackPort.Free()}"]) };
        status = await ClusterInspector.GetStatusAsync(silent, CancellationToken.None);
        Assert.StartsWith("unhealthy: Patroni: no REST API answered, so its view is unknown (Patroni at http://127.0.0.1:", status.Verdict);
        Assert.Equal("Patroni REST API 'db1:8008': write it as http://HOST:PORT (Patroni's restapi.connect_address).", Assert.Throws<DrToolsException>(() => PatroniManager.Parse(["db1:8008"])).Message);
    }

    [Theory]
    [InlineData("ttl", "Patroni setting 'ttl': write it as NAME=VALUE, e.g. ttl=10.")]
    [InlineData("loop_wiat=2", "Patroni setting 'loop_wiat=2': 'loop_wiat' is not a setting a sandbox takes")]
    [InlineData("ttl=-1", "Patroni setting 'ttl=-1': ttl is a whole number from 2 to 3600.")]
    [InlineData("synchronous_mode=yes", "Patroni setting 'synchronous_mode=yes': synchronous_mode is true or false.")]
    [InlineData("ttl=5,loop_wait=5", "Patroni settings: loop_wait (5) must be less than ttl (5).")]
    public void Bad_patroni_settings_are_named(string setting, string message)
    {
        var error = Assert.Throws<DrToolsException>(() => PatroniSettings.Defaults.With([setting]));
        Assert.StartsWith(message, error.Message);
        Assert.Equal(DrErrorKind.InvalidArgument, error.Kind);
    }

    [Fact]
    public async Task A_patroni_sandbox_interrupted_while_it_starts_leaves_nothing()
    {
        using var root = new TemporaryRoot();
        using var cancel = new CancellationTokenSource();
        var creation = Sandbox.CreateAsync(new SandboxOptions { Topology = SandboxTopology.Patroni, Standbys = 1, Root = root.Path }, cancel.Token);
        // Cancelled once Patroni runs: etcd, a Patroni and a PostgreSQL being initialized are all there to stop.
        Assert.True(await Polling.UntilAsync(() => Task.FromResult(root.Sandboxes.Any(s => Directory.Exists(Path.Combine(s, "node0")))), TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(20), CancellationToken.None));
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => creation);
        root.AssertNothingLeft();
        Assert.Empty(ProcessTable.FindByWorkingDirectory(root.Path));
    }
}
