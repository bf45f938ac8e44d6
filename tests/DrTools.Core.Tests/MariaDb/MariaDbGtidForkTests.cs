using DrTools.Core.Engines;
using DrTools.Core.MariaDb;
using DrTools.Core.Sandboxes;
using MySqlConnector;

namespace DrTools.Core.Tests;

/// <summary>Replicas whose GTID position the primary's binlog does not hold, and an old primary that forked from the new one.</summary>
public sealed class MariaDbGtidForkTests
{
    private static async Task<(Sandbox Sandbox, MariaDbCluster Cluster)> CreateAsync(TemporaryRoot root, int standbys)
    {
        var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Engine = StoreEngines.MariaDb, Standbys = standbys, Root = root.Path },
            CancellationToken.None);
        var cluster = (MariaDbCluster)sandbox.Cluster;
        await cluster.PrepareProbeAsync("node0", CancellationToken.None);
        return (sandbox, cluster);
    }

    private static async Task WaitReplicasAsync(MariaDbCluster cluster, params string[] replicas)
    {
        var position = await cluster.AppliedPositionAsync("node0", CancellationToken.None);
        await Task.WhenAll(replicas.Select(r => cluster.WaitAppliedAsync(r, position, TimeSpan.FromSeconds(10), CancellationToken.None)));
    }

    [Fact]
    public async Task After_a_reset_master_the_replicas_ahead_of_the_primarys_binlog_are_named_and_neither_status_nor_lag_passes()
    {
        using var root = new TemporaryRoot();
        var (sandbox, cluster) = await CreateAsync(root, 2);
        await using var _ = sandbox;
        await WaitReplicasAsync(cluster, "node1", "node2");
        Assert.True((await cluster.GetStatusAsync(CancellationToken.None)).Healthy);

        // The primary's binlog starts over: its next write is sequence 1 while the replicas sit far beyond it.
        await MariaDbSql.ScalarAsync(sandbox, "node0", "reset master; select 1");
        await MariaDbSql.ScalarAsync(sandbox, "node0",
            $"insert into {MariaDbCluster.Schema}.{Probes.Probe.Table} (run_id, seq) values ('reset-master', 1); select 1");

        var status = await cluster.GetStatusAsync(CancellationToken.None);
        Assert.False(status.Healthy, status.Verdict);
        foreach (var replica in new[] { "node1", "node2" })
        {
            var problem = Assert.Single(status.Problems,
                p => p.StartsWith(replica, StringComparison.Ordinal) && p.Contains("ahead of the primary"));
            Assert.Matches(@"its GTID 0-\d+-\d+, the primary's binlog at 0-\d+-1: diverged$", problem);
            Assert.NotNull(status.Members.Single(m => m.Name == replica).Divergence);
        }
        // A lag of 0 transactions would pass a lag check on replicas that lack the primary's write.
        var refused = await Assert.ThrowsAsync<DrToolsException>(
            () => cluster.SampleLagAsync(TimeSpan.FromSeconds(1), CancellationToken.None));
        Assert.Contains("lag of ", refused.Message);
        Assert.Matches(@"node\d.* is ahead of the primary: its GTID 0-\d+-\d+, the primary's binlog at 0-\d+-1: diverged", refused.Message);
    }

    /// <summary>A stopped replica reports Seconds_Behind_Master NULL: it must not read as 0 s and meet a 1 s bound.</summary>
    [Fact]
    public async Task A_replica_with_a_replication_thread_stopped_is_named_and_lag_refuses_to_measure_it()
    {
        using var root = new TemporaryRoot();
        var (sandbox, cluster) = await CreateAsync(root, 1);
        await using var _ = sandbox;
        var table = $"{MariaDbCluster.Schema}.stopped_writes";
        await MariaDbSql.ScalarAsync(sandbox, "node0", $"create table {table} (id bigint auto_increment primary key); select 1");
        var options = new Replication.ReplicationLagOptions { MaxLag = TimeSpan.FromSeconds(1) };
        foreach (var (stop, threads) in new[]
        {
            ("stop slave sql_thread", "IO thread Yes, SQL thread No"),
            ("stop slave io_thread", "IO thread No, SQL thread Yes"),
            ("stop slave", "IO thread No, SQL thread No"),
        })
        {
            await WaitReplicasAsync(cluster, "node1");
            await MariaDbSql.ScalarAsync(sandbox, "node1", $"{stop}; select 1");
            for (var i = 0; i < 5; i++) await MariaDbSql.ScalarAsync(sandbox, "node0", $"insert into {table} values (); select 1");

            Assert.Contains((await cluster.GetStatusAsync(CancellationToken.None)).Problems,
                p => p.StartsWith("node1", StringComparison.Ordinal) && p.Contains($"is not replicating: {threads}"));
            var refused = await Assert.ThrowsAsync<DrToolsException>(() => StoreLag.MeasureAsync(cluster, options, CancellationToken.None));
            Assert.Equal(DrErrorKind.InvalidOperation, refused.Kind);
            Assert.Matches($"^lag of .+ cannot be measured: node1 .*is not replicating: {threads}", refused.Message);
            await MariaDbSql.ScalarAsync(sandbox, "node1", "start slave; select 1");
        }
        await WaitReplicasAsync(cluster, "node1");
        Assert.True(Assert.Single(await StoreLag.MeasureAsync(cluster, options, CancellationToken.None)).Met);
    }

    /// <summary>
    /// The new primary's takeover position is read before it takes writes: a writer refused by read_only until the promotion
    /// writes right after it, and its write carries the sequence number of the old primary's one transaction the new one lacks.
    /// </summary>
    [Fact]
    public async Task An_old_primary_with_one_transaction_the_promoted_replica_lacks_is_rebuilt_though_writers_hit_the_new_primary_at_once()
    {
        using var root = new TemporaryRoot();
        var (sandbox, cluster) = await CreateAsync(root, 1);
        await using var _ = sandbox;
        var table = $"{MariaDbCluster.Schema}.fork_writes";
        await MariaDbSql.ScalarAsync(sandbox, "node0", $"create table {table} (id bigint auto_increment primary key); select 1");
        await MariaDbSql.ScalarAsync(sandbox, "node0", "create user 'forkwriter'@'%' identified by 'fork-writer-pw'; select 1");
        await MariaDbSql.ScalarAsync(sandbox, "node0", $"grant insert on {table} to 'forkwriter'@'%'; select 1");
        await WaitReplicasAsync(cluster, "node1");
        await MariaDbSql.ScalarAsync(sandbox, "node1", "stop slave io_thread; select 1");
        await MariaDbSql.ScalarAsync(sandbox, "node0", $"insert into {table} values (); select 1"); // the one node1 lacks

        using var stop = new CancellationTokenSource();
        var admin = MariaDbEngine.ConnectionString(sandbox, sandbox.Members.Single(m => m.Name == "node1"));
        var node1 = new MySqlConnectionStringBuilder(admin)
        {
            UserID = "forkwriter", Password = "fork-writer-pw", Database = "",
        }.ConnectionString;
        var writers = Enumerable.Range(0, 3).Select(_ => Task.Run(() => WriteUntilStoppedAsync(node1, table, stop.Token))).ToList();
        await Task.Delay(200);
        await cluster.InjectFaultAsync("node0", CancellationToken.None);
        await cluster.PromoteAsync("node1", CancellationToken.None);
        await Task.Delay(100);
        await stop.CancelAsync();
        var written = (await Task.WhenAll(writers)).Sum();
        Assert.True(written > 0, "no write reached the promoted replica");

        var outcome = await cluster.RejoinAsync("node0", "node1", CancellationToken.None);
        Assert.Contains("it had 1 transaction(s) the new primary lacks", outcome.Detail);
        Assert.DoesNotContain("replicates from the new primary by GTID", outcome.Detail);
    }

    [Theory]
    [InlineData("0-1-10,1-1-1", "0-1-5,1-1-7", 6)] // sums 11 and 12: a sum counts 1
    [InlineData("0-1-10,1-1-3", "0-1-5,1-1-7", 4)] // sums 13 and 12: a sum sees no fork
    [InlineData("0-1-10", "0-1-5,1-1-2", 2)] // a domain the new primary never had
    public void An_old_primary_ahead_in_one_GTID_domain_is_forked_whatever_the_sums_say(string promoted, string own, long lacking)
    {
        var forked = MariaDbCluster.Forked(promoted, own);
        Assert.NotNull(forked);
        Assert.Equal($"it had {lacking} transaction(s) the new primary lacks "
            + $"(its binlog at {own}, the new primary took over at {promoted})", forked);
    }

    [Theory]
    [InlineData("0-1-10,1-1-7", "0-1-5,1-1-7")]
    [InlineData("0-1-10,2-3-1", "0-1-10")]
    [InlineData("0-1-10", "")]
    public void An_old_primary_the_promoted_member_holds_in_every_domain_has_not_forked(string promoted, string own) =>
        Assert.Null(MariaDbCluster.Forked(promoted, own));

    /// <summary>
    /// The old primary wrote in a domain the promoted replica never received, while the replica wrote more in a domain of its
    /// own: by sums the replica holds everything and the old primary would have replicated from it (error 1236 at once).
    /// </summary>
    [Fact]
    public async Task An_old_primary_ahead_in_one_domain_is_rebuilt_though_the_promoted_replica_has_more_transactions_in_all()
    {
        using var root = new TemporaryRoot();
        var (sandbox, cluster) = await CreateAsync(root, 1);
        await using var _ = sandbox;
        await WaitReplicasAsync(cluster, "node1");
        await MariaDbSql.ScalarAsync(sandbox, "node1", "stop slave io_thread; select 1");
        var insert = $"insert into {MariaDbCluster.Schema}.{Probes.Probe.Table} (run_id, seq) values";
        await MariaDbSql.ScalarAsync(sandbox, "node0",
            $"set session gtid_domain_id = 1; {insert} ('domain-1', 1); {insert} ('domain-1', 2); {insert} ('domain-1', 3); select 1");
        await MariaDbSql.ScalarAsync(sandbox, "node1", "set session gtid_domain_id = 2; "
            + string.Concat(Enumerable.Range(1, 10).Select(i => $"{insert} ('domain-2', {i}); ")) + "select 1");
        await cluster.InjectFaultAsync("node0", CancellationToken.None);
        await cluster.PromoteAsync("node1", CancellationToken.None);

        var outcome = await cluster.RejoinAsync("node0", "node1", CancellationToken.None);

        Assert.Contains("it had 3 transaction(s) the new primary lacks", outcome.Detail);
        Assert.Contains("rebuilt from the new primary", outcome.Detail);
        var promoted = await cluster.AppliedPositionAsync("node1", CancellationToken.None);
        await cluster.WaitAppliedAsync("node0", promoted, TimeSpan.FromSeconds(30), CancellationToken.None);
        var count = $"select count(*) from {MariaDbCluster.Schema}.{Probes.Probe.Table} where run_id = ";
        Assert.Equal(0, await MariaDbSql.ScalarAsync(sandbox, "node0", count + "'domain-1'"));
        Assert.Equal(10, await MariaDbSql.ScalarAsync(sandbox, "node0", count + "'domain-2'"));
    }

    [Theory]
    [InlineData(Failover.FailoverMode.Switchover)]
    [InlineData(Failover.FailoverMode.Failover)]
    public async Task A_replica_holding_a_transaction_the_primary_never_had_is_never_promoted_however_advanced_it_looks(
        Failover.FailoverMode mode)
    {
        using var root = new TemporaryRoot();
        var (sandbox, cluster) = await CreateAsync(root, 2);
        await using var _ = sandbox;
        await WaitReplicasAsync(cluster, "node1", "node2");
        // node2 writes on its own in another GTID domain: one transaction more than node1, none of it the primary's.
        await MariaDbSql.ScalarAsync(sandbox, "node2", "set session gtid_domain_id = 1; "
            + $"insert into {MariaDbCluster.Schema}.{Probes.Probe.Table} (run_id, seq) values ('own-write', 1); select 1");
        var status = await cluster.GetStatusAsync(CancellationToken.None);
        var node2 = status.Members.Single(m => m.Name == "node2");
        Assert.NotNull(node2.Divergence);

        var drill = new ReplicaSetDrill(cluster);
        var options = new Failover.FailoverOptions
        {
            Mode = mode, WriteProbe = new Probes.ProbeOptions { Rate = 50 }, ReadProbe = new Probes.ProbeOptions { Rate = 10 },
            BaselineWrites = 20, Rejoin = true,
        };
        var refused = await Assert.ThrowsAsync<DrToolsException>(() => drill.PlanAsync(options with { Candidate = "node2" },
            CancellationToken.None));
        Assert.Equal($"{node2.Display} cannot be promoted: it is {node2.Divergence}. Nothing was changed.", refused.Message);
        var plan = await drill.PlanAsync(options, CancellationToken.None);
        Assert.Contains($"never promote {node2.Display} nor re-point it: it is {node2.Divergence}", plan.Steps);
        var result = await drill.RunAsync(plan, options, CancellationToken.None);

        Assert.Equal("node1", result.NewPrimary.Split(' ')[0]);
        // Left as it was and named, not waited for; its own write spread nowhere.
        Assert.Contains(result.ReplicasNotFollowing, l => l.StartsWith("node2 does not replicate from node1", StringComparison.Ordinal));
        Assert.False(result.Met);
        var ownWrite = $"select count(*) from {MariaDbCluster.Schema}.{Probes.Probe.Table} where run_id = 'own-write'";
        Assert.Equal(0, await MariaDbSql.ScalarAsync(sandbox, "node1", ownWrite));
        Assert.Equal(0, await MariaDbSql.ScalarAsync(sandbox, "node0", ownWrite));
    }

    [Fact]
    public async Task A_replica_that_wrote_its_own_transaction_at_the_primarys_next_sequence_number_is_diverged()
    {
        using var root = new TemporaryRoot();
        var (sandbox, cluster) = await CreateAsync(root, 2);
        await using var _ = sandbox;
        await WaitReplicasAsync(cluster, "node1", "node2");
        var insert = $"insert into {MariaDbCluster.Schema}.{Probes.Probe.Table} (run_id, seq) values";
        var next = Gtid.SequenceSum(await MariaDbSql.TextAsync(sandbox, "node0", "select @@gtid_binlog_pos")) + 1;
        // node1 takes the sequence number node0 gives its next write: no domain is ahead, the GTIDs differ.
        await MariaDbSql.ScalarAsync(sandbox, "node1", $"set session gtid_seq_no = {next}; {insert} ('own-write', 1); select 1");
        await MariaDbSql.ScalarAsync(sandbox, "node0", $"{insert} ('primary-write', 1); select 1");

        var status = await cluster.GetStatusAsync(CancellationToken.None);
        var node1 = status.Members.Single(m => m.Name == "node1");
        Assert.NotNull(node1.Divergence);
        Assert.Null(status.Members.Single(m => m.Name == "node2").Divergence);
        var options = new Failover.FailoverOptions { Mode = Failover.FailoverMode.Failover, Candidate = "node1" };
        var refused = await Assert.ThrowsAsync<DrToolsException>(
            () => new ReplicaSetDrill(cluster).PlanAsync(options, CancellationToken.None));
        Assert.Equal($"{node1.Display} cannot be promoted: it is {node1.Divergence}. Nothing was changed.", refused.Message);
    }

    /// <summary>Inserts as a user read_only refuses until the member is promoted; how many it wrote.</summary>
    private static async Task<int> WriteUntilStoppedAsync(string connectionString, string table, CancellationToken stop)
    {
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync(CancellationToken.None);
        var written = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var insert = new MySqlCommand($"insert into {table} values ()", connection);
                written += await insert.ExecuteNonQueryAsync(CancellationToken.None);
            }
            catch (MySqlException e) when (e.ErrorCode == MySqlErrorCode.OptionPreventsStatement)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(0.5), CancellationToken.None); // still read-only
            }
        }
        return written;
    }
}
