using DrTools.Core.Engines;
using DrTools.Core.Failover;
using DrTools.Core.Postgres;
using DrTools.Core.Probes;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

/// <summary>
/// The old primary committed transactions its standby never received; the failover promotes the standby and the rejoin
/// discards them. They are acknowledged writes lost whether or not the probe wrote then: counted, and an RPO of 0 not met.
/// </summary>
public sealed class DiscardedTransactionsTests
{
    /// <summary>Transactions the test commits on the primary once its standby stopped receiving.</summary>
    private const int Committed = 5;

    private static FailoverOptions Options() => new()
    {
        Mode = FailoverMode.Failover, Rejoin = true, RpoTarget = TimeSpan.Zero, CheckIntegrity = false,
        WriteProbe = new ProbeOptions { Rate = 20, Clients = 1 }, ReadProbe = new ProbeOptions { Rate = 10 },
    };

    private static string Timeline(FailoverResult result) => string.Join("\n", result.Timeline.Select(e => $"{e.At} {e.Name}: {e.Detail}"));

    /// <summary>
    /// The count holds at least the test's transactions and every acknowledged probe write lost (each committed on the old
    /// primary only); the figure fails the RPO of 0, and so do the drill and its journal's RPO objective, naming it.
    /// </summary>
    private static void AssertCounted(FailoverResult result)
    {
        var discarded = result.DiscardedTransactions;
        Assert.True(discarded is not null, result.State);
        Assert.True(discarded.Measured >= Committed + result.LostSequences.Count, discarded.ToString());
        Assert.Equal(DiscardedTransactions.FigureName, discarded.Name);
        Assert.False(discarded.Met, discarded.ToString());
        Assert.False(result.Met, Timeline(result));
        Assert.Contains(discarded, result.Figures);
        // The standalone drill's journal: the RPO objective says why it is not met.
        var rpo = Assert.Single(Runbooks.FailoverJournal.From(result).Objectives, o => o.Name == "rpo");
        Assert.False(rpo.Met);
        Assert.Equal("transactions", rpo.Unit);
        Assert.Equal(discarded.Measured, rpo.Measurement!.Measured);
    }

    [Fact]
    public async Task PostgreSql_failover_with_rejoin_counts_the_commits_pg_rewind_discarded_and_does_not_meet_rpo_0()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var primary = sandbox.Target.Member("node0");
        // Nothing else commits on the primary: no autovacuum, the probe table made while the standby still receives.
        await primary.ExecuteAsync("alter system set autovacuum = off", CancellationToken.None);
        await primary.ExecuteAsync("select pg_reload_conf()", CancellationToken.None);
        await primary.ExecuteAsync("create table discarded_test (id int)", CancellationToken.None);
        await Probe.PrepareAsync(primary, CancellationToken.None);
        var control = new CommitsOnlyThePrimaryHasFirst(sandbox);
        // One probe write a second: the fault (below) acts just after one was acknowledged and received by the standby.
        var options = Options() with { WriteProbe = new ProbeOptions { Rate = 1, Clients = 1 } };
        var plan = await FailoverDrill.PlanAsync(sandbox.Target, control, options, CancellationToken.None);
        var result = await FailoverDrill.RunAsync(plan, control, options, CancellationToken.None);

        // Before, this drill PASSed: the probe lost nothing and the data loss window was 0; only the new figure fails it. (On a
        // machine slow enough that the probe's next write came before the kill, that write is lost, and counted too.)
        var lost = result.LostSequences.Count;
        if (lost == 0)
        {
            Assert.True(result.DataLossWindow.Met, result.DataLossWindow.ToString());
            Assert.True((result with { DiscardedTransactions = null }).Met, Timeline(result));
        }
        // The test's transactions, the probe's lost writes, and a probe write in flight at the kill that committed.
        Assert.InRange(result.DiscardedTransactions!.Measured, Committed + lost, Committed + lost + 1);
        AssertCounted(result);
        Assert.Contains("pg_waldump", result.DiscardedTransactions.Method);
        Assert.Single(result.Timeline, e => e.Name == "old primary's transactions discarded");
        Assert.True(result.TopologyAfter.Healthy, result.TopologyAfter.Verdict);
        var standby = sandbox.Target.Member("node1");
        Assert.Equal(0, await standby.QueryAsync("select count(*) from discarded_test", r => r.GetInt64(0), CancellationToken.None));
    }

    /// <summary>
    /// The fault, as the tester saw it: just after a probe write was acknowledged and received by the standby, the standby
    /// stops receiving and the primary commits transactions only it has, then the SIGKILL. Otherwise the sandbox's own control.
    /// </summary>
    private sealed class CommitsOnlyThePrimaryHasFirst(Sandbox sandbox) : ChangedSandboxControl(sandbox), IMemberControl
    {
        private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
        public override async Task<string> InjectFaultAsync(DbMember primary, CancellationToken cancellationToken)
        {
            var standby = Sandbox.Target.Member("node1");
            var count = $"select count(*) from {Probe.Table}";
            var written = await primary.QueryAsync(count, r => r.GetInt64(0), cancellationToken);
            await Polling.RequireAsync(async () => await primary.QueryAsync(count, r => r.GetInt64(0), cancellationToken) > written,
                Wait, TimeSpan.FromMilliseconds(5), () => "no probe write", cancellationToken);
            var lsn = await primary.QueryAsync("select pg_current_wal_lsn()::text", r => r.GetString(0), cancellationToken);
            await Polling.RequireAsync(async () => await standby.QueryAsync($"select pg_last_wal_receive_lsn() >= '{lsn}'",
                r => r.GetBoolean(0), cancellationToken), Wait, TimeSpan.FromMilliseconds(5), () => "not received", cancellationToken);
            await standby.ExecuteAsync("alter system set primary_conninfo = ''", cancellationToken);
            await standby.ExecuteAsync("select pg_reload_conf()", cancellationToken);
            await Polling.RequireAsync(async () => await standby.QueryAsync("select count(*) = 0 from pg_stat_wal_receiver",
                r => r.GetBoolean(0), cancellationToken), Wait, TimeSpan.FromMilliseconds(5),
                () => "the standby's WAL receiver did not stop", cancellationToken);
            for (var i = 0; i < Committed; i++)
            {
                await primary.ExecuteAsync($"insert into discarded_test values ({i})", cancellationToken);
            }
            return await Inner.InjectFaultAsync(primary, cancellationToken);
        }
        Task<DiscardedTransactions> IMemberControl.DiscardedAsync(DbMember oldPrimary, DbMember newPrimary,
            CancellationToken cancellationToken) => Inner.DiscardedAsync(oldPrimary, newPrimary, cancellationToken);
    }

    [Fact]
    public async Task PostgreSql_failover_without_rejoin_says_the_discarded_count_is_unknown_not_zero()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var control = new SandboxControl(sandbox);
        var options = Options() with { Rejoin = false };
        var plan = await FailoverDrill.PlanAsync(sandbox.Target, control, options, CancellationToken.None);
        var result = await FailoverDrill.RunAsync(plan, control, options, CancellationToken.None);

        Assert.Null(result.DiscardedTransactions);
        Assert.Contains($"{DiscardedTransactions.FigureName}: unknown (the old primary was not rejoined", result.State);
    }

    [Fact]
    public async Task MariaDb_failover_with_rejoin_counts_the_transactions_the_rebuild_discarded_and_does_not_meet_rpo_0()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(
            new SandboxOptions { Engine = StoreEngines.MariaDb, Standbys = 1, Root = root.Path }, CancellationToken.None);
        var cluster = (IReplicaSet)sandbox.Cluster;
        var drill = new ReplicaSetDrill(cluster);
        // Planned while the replica replicates: a plan refuses a replica whose IO thread is stopped.
        var plan = await drill.PlanAsync(Options(), CancellationToken.None);
        await cluster.PrepareProbeAsync("node0", CancellationToken.None);
        await MariaDbSql.ScalarAsync(sandbox, "node0",
            "create database discarded_test; create table discarded_test.t (id int primary key); select 1");
        var prepared = await cluster.AppliedPositionAsync("node0", CancellationToken.None);
        await cluster.WaitAppliedAsync("node1", prepared, TimeSpan.FromSeconds(30), CancellationToken.None);
        await MariaDbSql.ScalarAsync(sandbox, "node1", "stop slave io_thread; select 1");
        for (var i = 0; i < Committed; i++)
        {
            await MariaDbSql.ScalarAsync(sandbox, "node0", $"insert into discarded_test.t values ({i}); select 1");
        }

        var result = await drill.RunAsync(plan, Options(), CancellationToken.None);

        Assert.Contains("rebuilt from the new primary with mariadb-backup", result.State);
        // The drill's own create-if-not-exists of the probe table is one transaction more in the binlog.
        var discarded = result.DiscardedTransactions;
        Assert.True(discarded is not null, result.State);
        Assert.InRange(discarded.Measured, Committed + result.LostSequences.Count, Committed + result.LostSequences.Count + 2);
        Assert.Contains("GTID positions", discarded.Method);
        Assert.False(discarded.Met);
        Assert.False(result.Met, Timeline(result));
        Assert.Equal(0, await MariaDbSql.ScalarAsync(sandbox, "node1", "select count(*) from discarded_test.t"));
    }
}
