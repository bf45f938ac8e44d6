using DrTools.Core.Cluster;
using DrTools.Core.Engines;
using DrTools.Core.Failover;
using DrTools.Core.MariaDb;
using DrTools.Core.Probes;
using DrTools.Core.Sandboxes;
using MySqlConnector;

namespace DrTools.Core.Tests;

/// <summary>Real mariadbd sandboxes: GTID replication, switchover and failover drills measured by the probes.</summary>
public sealed class MariaDbTests
{
    private static Task<Sandbox> CreateAsync(TemporaryRoot root, int replicas = 2, bool synchronous = false, CancellationToken cancellationToken = default) =>
        Sandbox.CreateAsync(new SandboxOptions { Engine = StoreEngines.MariaDb, Standbys = replicas, Root = root.Path, Synchronous = synchronous }, cancellationToken);

    internal static Task<long> ScalarAsync(Sandbox sandbox, string member, string sql) => MariaDbSql.ScalarAsync(sandbox, member, sql);

    internal static Task<string> TextAsync(Sandbox sandbox, string member, string sql) => MariaDbSql.TextAsync(sandbox, member, sql);

    [Fact]
    public async Task A_sandbox_comes_up_replicating_by_GTID_and_is_removed_completely()
    {
        using var root = new TemporaryRoot();
        await using (var sandbox = await CreateAsync(root))
        {
            var status = await ((IReplicaSet)sandbox.Cluster).GetStatusAsync(CancellationToken.None);
            Assert.True(status.Healthy, status.Verdict);
            Assert.Equal("mariadb", status.Engine);
            Assert.Equal("node0", status.Primary!.Name);
            Assert.All(status.Standbys, s => Assert.Equal("IO Yes, SQL Yes", s.WalReceiverStatus));
            Assert.Equal(StoreEngines.MariaDb, Sandbox.List(root.Path).Single().Engine);
            Assert.All(Sandbox.List(root.Path).Single().Members, m => Assert.True(m.Running));

            // A write on the primary reaches both replicas by GTID.
            await ScalarAsync(sandbox, "node0", "create database app; create table app.t (id int primary key); insert into app.t values (1), (2); select 1");
            await Polling.RequireAsync(async () => await ScalarAsync(sandbox, "node2", "select count(*) from app.t") == 2, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(20), () => "not replicated", CancellationToken.None);
            Assert.Equal(await ScalarAsync(sandbox, "node0", "select substring_index(@@gtid_binlog_pos, '-', -1)"), Gtid.SequenceSum((await ((IReplicaSet)sandbox.Cluster).AppliedPositionAsync("node2", CancellationToken.None)).Text));
        }
        root.AssertNothingLeft();
    }

    [Fact]
    public async Task An_open_to_a_frozen_server_ends_when_its_token_says_so()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await CreateAsync(root, replicas: 0);
        var frozen = Processes.ProcessTable.FindByWorkingDirectory(sandbox.Members[0].DataDirectory);
        Assert.NotEmpty(frozen);
        foreach (var pid in frozen) Assert.True(Processes.ProcessTable.Signal(pid, 19)); // SIGSTOP: accepted by the kernel, never answered
        try
        {
            using var second = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var member = ((MariaDbCluster)sandbox.Cluster).Members[0];
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => member.OpenAsync(second.Token));
            // MySqlConnector alone held it for its Connection Timeout (10 s for a member).
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"the open ended {clock.Elapsed} after it began");
        }
        finally
        {
            foreach (var pid in frozen) Processes.ProcessTable.Signal(pid, 18);
        }
    }

    [Fact]
    public async Task Cancelling_the_creation_removes_what_was_started()
    {
        using var root = new TemporaryRoot();
        using var cancel = new CancellationTokenSource();
        var progress = new Progress<OperationProgress>(p => { if (p.Phase.Contains("replica node1", StringComparison.Ordinal)) cancel.Cancel(); });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Sandbox.CreateAsync(
            new SandboxOptions { Engine = StoreEngines.MariaDb, Standbys = 2, Root = root.Path, Progress = progress }, cancel.Token));
        root.AssertNothingLeft();
    }

    [Fact]
    public async Task A_switchover_loses_no_write_and_measures_the_outage()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await CreateAsync(root);
        var drill = new ReplicaSetDrill((IReplicaSet)sandbox.Cluster);
        var options = new FailoverOptions { Mode = FailoverMode.Switchover, WriteProbe = new ProbeOptions { Rate = 50 }, ReadProbe = new ProbeOptions { Rate = 50 }, RtoTarget = TimeSpan.FromSeconds(5), BaselineWrites = 11 };
        await ScalarAsync(sandbox, "node0", "create database app; create table app.t (id int primary key, v varchar(20)); insert into app.t values (1, 'a'), (2, 'b'); select 1");
        var plan = await drill.PlanAsync(options, CancellationToken.None);
        Assert.Equal("node0", plan.Primary);
        var result = await drill.RunAsync(plan, options, CancellationToken.None);

        Assert.Equal("mariadb", result.Engine);
        Assert.Equal(0, result.LostWrites.Measured);
        Assert.True(result.AcknowledgedWrites > 10); // the baseline held the fence for 11
        Assert.InRange(result.WriteUnavailability.Measured, 0.001, 5);
        Assert.Equal("PASS", result.IntegrityResult);
        Assert.True(result.TopologyAfter.Healthy, result.TopologyAfter.Verdict);
        Assert.Equal(plan.Candidate, result.TopologyAfter.Primary!.Name);
        Assert.Contains("rejoined as a replica", result.State);
        Assert.Contains(result.Timeline, e => e.Name == "primary fenced");
        // Every acknowledged write is on the new primary, and the old primary replicates from it.
        // Every acknowledged write is on the new primary (an attempt in flight when the probe stopped may be there too).
        var acknowledged = string.Join(",", result.WriteSamples.Where(s => s.Succeeded).Select(s => s.Sequence));
        Assert.Equal(result.AcknowledgedWrites, await ScalarAsync(sandbox, plan.Candidate!, $"select count(*) from drtools.drtools_probe where run_id = '{result.RunId}' and seq in ({acknowledged})"));
        Assert.Equal(0, await ScalarAsync(sandbox, plan.Candidate!, "select @@read_only"));
        ProbeHistoryDrillTests.AssertReadsReturnTheNewestSequences(result);
        Assert.Equal(1, await ScalarAsync(sandbox, "node0", "select @@read_only"));
    }

    [Fact]
    public async Task An_unplanned_failover_under_write_load_reports_exactly_the_writes_missing_on_the_new_primary()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await CreateAsync(root);
        var cluster = (IReplicaSet)sandbox.Cluster;
        var drill = new ReplicaSetDrill(cluster);
        var options = new FailoverOptions { Mode = FailoverMode.Failover, WriteProbe = new ProbeOptions { Rate = 50 }, ReadProbe = new ProbeOptions { Rate = 20 }, Rejoin = true, BaselineWrites = 51 };
        var plan = await drill.PlanAsync(options, CancellationToken.None);
        Assert.Contains("SIGKILL of mariadbd", string.Join("\n", plan.Steps));

        // A write load beside the probe, so replicas lag when the primary dies.
        await ScalarAsync(sandbox, "node0", "create database load_db; create table load_db.t (id bigint auto_increment primary key, pad varchar(200)); select 1");
        using var stopLoad = new CancellationTokenSource();
        var loaded = 0;
        var load = Task.Run(async () =>
        {
            await using var connection = new MySqlConnection(MariaDbEngine.ConnectionString(sandbox, sandbox.Members[0]));
            await connection.OpenAsync();
            while (!stopLoad.IsCancellationRequested)
            {
                await using var insert = new MySqlCommand("insert into load_db.t (pad) select repeat('x', 200) from load_db.seq_1_to_50", connection);
                try { await insert.ExecuteNonQueryAsync(); } catch (MySqlException) { return; } // the primary was killed
                Interlocked.Increment(ref loaded);
            }
        });
        // The drill starts once the load committed 1000 rows, however slowly a busy machine runs it.
        await Polling.RequireAsync(() => Task.FromResult(Volatile.Read(ref loaded) >= 20), TimeSpan.FromSeconds(60),
            TimeSpan.FromMilliseconds(20), () => "the load committed fewer than 1000 rows in 60 s", CancellationToken.None);
        var result = await drill.RunAsync(plan, options with { CheckIntegrity = false }, CancellationToken.None);
        await stopLoad.CancelAsync();
        await load;
        // The load reached the replicas.
        Assert.True(await ScalarAsync(sandbox, result.TopologyAfter.Primary!.Name, "select count(*) from load_db.t") > 0);

        var present = await cluster.ProbeSequencesAsync(result.TopologyAfter.Primary!.Name, result.RunId, CancellationToken.None);
        var missing = result.WriteSamples.Where(s => s.Succeeded && !present.Contains(s.Sequence)).Select(s => s.Sequence).ToList();
        Assert.Equal(missing, result.LostSequences);
        Assert.Equal(missing.Count, result.LostWrites.Measured);
        Assert.True(result.AcknowledgedWrites > 50); // the baseline held the fault for 51
        Assert.True(result.WriteUnavailability.Measured > 0);
        Assert.Contains("SIGKILL of mariadbd", result.Fault);
        Assert.NotEqual("node0", result.TopologyAfter.Primary.Name);
    }

    [Fact]
    public async Task Writes_the_replicas_never_received_are_reported_lost_and_the_diverged_old_primary_is_rebuilt()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await CreateAsync(root);
        var cluster = (IReplicaSet)sandbox.Cluster;
        var drill = new ReplicaSetDrill(cluster);
        // The fault waits for this many acknowledged writes: all of them come after the IO threads stop, so all are lost.
        const int acknowledgedBeforeKill = 20;
        var options = new FailoverOptions
        {
            Mode = FailoverMode.Failover, Rejoin = true, WriteProbe = new ProbeOptions { Rate = 50 },
            ReadProbe = new ProbeOptions { Rate = 10 }, CheckIntegrity = false, BaselineWrites = acknowledgedBeforeKill,
        };
        var plan = await drill.PlanAsync(options, CancellationToken.None);
        await cluster.PrepareProbeAsync("node0", CancellationToken.None);
        var prepared = await cluster.AppliedPositionAsync("node0", CancellationToken.None);
        await Task.WhenAll(cluster.WaitAppliedAsync("node1", prepared, TimeSpan.FromSeconds(10), CancellationToken.None), cluster.WaitAppliedAsync("node2", prepared, TimeSpan.FromSeconds(10), CancellationToken.None));
        // The replicas stop receiving: every write the probe gets acknowledged from now on exists only on node0.
        await Task.WhenAll(ScalarAsync(sandbox, "node1", "stop slave io_thread; select 1"), ScalarAsync(sandbox, "node2", "stop slave io_thread; select 1"));
        var result = await drill.RunAsync(plan, options, CancellationToken.None);

        Assert.True(result.LostWrites.Measured >= acknowledgedBeforeKill,
            string.Join("\n", result.Timeline.Select(e => $"{e.At} {e.Name} {e.Detail}")));
        var present = await cluster.ProbeSequencesAsync(result.TopologyAfter.Primary!.Name, result.RunId, CancellationToken.None);
        // In sequence order: several probe clients' acknowledgements are not.
        Assert.Equal(result.WriteSamples.Where(s => s.Succeeded && !present.Contains(s.Sequence)).Select(s => s.Sequence).Order(),
            result.LostSequences);
        Assert.True(result.DataLossWindow.Measured > 0);
        Assert.Contains("rebuilt from the new primary with mariadb-backup", result.State);
        // The rebuild's copy is on the drill's clock, and the stall its backup locks caused on the new primary is named within it.
        var timeline = string.Join("\n", result.Timeline.Select(e => $"{e.At} {e.Name} {e.Detail}"));
        var copyStarted = Assert.Single(result.Timeline, e => e.Name == RebuildCopy.CopyStarted);
        var copyEnded = Assert.Single(result.Timeline, e => e.Name == RebuildCopy.CopyEnded);
        Assert.True(copyStarted.At > result.Timeline.Single(e => e.Name == "rejoin started").At, timeline);
        Assert.True(copyEnded.At > copyStarted.At, timeline);
        Assert.Contains("BACKUP STAGE BLOCK_COMMIT", copyEnded.Detail);
        var stalled = Assert.Single(result.Timeline, e => e.Name == RebuildCopy.WritesStalled);
        Assert.Contains("while mariadb-backup --backup of", stalled.Detail);
        // The stall is one client's gap between acknowledgements, from stalled.At, that ends after the copy began.
        var client = result.WriteSamples.First(s => s.Acknowledged == stalled.At).Client;
        Assert.Contains($"write client {client}: ", stalled.Detail);
        var gapEnd = result.WriteSamples.Where(s => s.Client == client && s.Acknowledged > stalled.At).Min(s => s.Acknowledged)!.Value;
        Assert.True(stalled.At < copyEnded.At && gapEnd > copyStarted.At, timeline);
        Assert.True(gapEnd - stalled.At > TimeSpan.FromSeconds(3.0 / options.WriteProbe.Rate), timeline);
        Assert.True(result.TopologyAfter.Healthy, result.TopologyAfter.Verdict);
        // The rebuilt old primary has what the new primary has (once it applied all of it), and none of the lost writes.
        var newPrimary = await cluster.AppliedPositionAsync(result.TopologyAfter.Primary!.Name, CancellationToken.None);
        await cluster.WaitAppliedAsync("node0", newPrimary, TimeSpan.FromSeconds(60), CancellationToken.None);
        Assert.Equal(present.Count, await ScalarAsync(sandbox, "node0", $"select count(*) from drtools.drtools_probe where run_id = '{result.RunId}'"));
    }
}
