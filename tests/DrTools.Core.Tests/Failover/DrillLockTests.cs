using DrTools.Core.Cluster;
using DrTools.Core.Engines;
using DrTools.Core.Failover;
using DrTools.Core.Faults;
using DrTools.Core.MariaDb;
using DrTools.Core.Postgres;
using DrTools.Core.Redis;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

/// <summary>
/// One drill at a time per target, also where the target is not a sandbox (connection strings: the lock is on the
/// servers, so drills from other machines are excluded too); and no drill brings an old primary back once another
/// member accepts writes.
/// </summary>
public sealed class DrillLockTests
{
    private static readonly FailoverOptions Failover = new() { Mode = FailoverMode.Failover, CheckIntegrity = false };

    private static List<string> Allowed(Sandbox sandbox) => sandbox.Members.Select(m => $"127.0.0.1:{m.Port}").ToList();

    [Fact]
    public async Task A_postgresql_cluster_by_connection_strings_is_locked_on_its_servers_and_the_standbys_hold_it_with_the_primary_down()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var connectionStrings = sandbox.Members.Select(sandbox.ConnectionString).ToList();
        var target = DbTarget.FromConnectionStrings(connectionStrings, allowDrillOn: Allowed(sandbox));
        var recovery = Recovery.For(target, null, null, null, "true", null);
        var plan = await recovery.PlanAsync(Failover, CancellationToken.None);

        var holder = $"another drill holds it (drtools drill pid {Environment.ProcessId}@{Environment.MachineName}, "
            + "connected from 127.0.0.1 since ";
        await using (await DrillLock.AcquireAsync(target, null, "a drill of this test", CancellationToken.None))
        {
            var planning = await Assert.ThrowsAsync<DrToolsException>(() => recovery.PlanAsync(Failover, CancellationToken.None));
            Assert.StartsWith($"drill on {target.Name} refused: {holder}", planning.Message);
            var running = await Assert.ThrowsAsync<DrToolsException>(() => recovery.RunAsync(plan, Failover, CancellationToken.None));
            Assert.StartsWith($"drill on {target.Name} refused: {holder}", running.Message);
            Assert.EndsWith("One drill at a time per target; nothing was changed.", running.Message);

            // A killed primary takes its lock along; the standby's still excludes every other drill.
            await sandbox.Server("node0").StopAsync(ShutdownMode.Immediate, CancellationToken.None);
            var primaryDown = await Assert.ThrowsAsync<DrToolsException>(
                () => DrillLock.AcquireAsync(target, null, "another", CancellationToken.None));
            Assert.Contains($"on 127.0.0.1:{sandbox.Members[1].Port})", primaryDown.Message);
        }
        await (await DrillLock.AcquireAsync(target, null, "the next drill", CancellationToken.None)).DisposeAsync();
    }

    /// <summary>
    /// Closing the lock's connections did not release the lock: a server drops a session's advisory locks only when
    /// its backend exits, after the close returned, and a drill started right after the last one was refused.
    /// </summary>
    [Fact]
    public async Task A_released_drill_lock_is_free_on_every_server_when_the_release_returns()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var target = DbTarget.FromConnectionStrings(sandbox.Members.Select(sandbox.ConnectionString).ToList(),
            allowDrillOn: Allowed(sandbox));
        for (var drill = 1; drill <= 5; drill++)
        {
            await (await DrillLock.AcquireAsync(target, null, $"drill {drill}", CancellationToken.None)).DisposeAsync();
            foreach (var member in sandbox.Members)
            {
                await using var connection = new Npgsql.NpgsqlConnection(sandbox.ConnectionString(member));
                await connection.OpenAsync();
                var held = await connection.ReadFirstAsync(
                    "select count(*) from pg_locks where locktype = 'advisory'", r => r.GetInt64(0), CancellationToken.None);
                Assert.True(held == 0, $"drill {drill}: {held} advisory lock(s) still held on {member.Name} after the release");
            }
        }
    }

    [Fact]
    public async Task A_mariadb_cluster_given_by_connection_strings_is_locked_on_its_servers()
    {
        using var root = new TemporaryRoot();
        var options = new SandboxOptions { Engine = StoreEngines.MariaDb, Standbys = 1, Root = root.Path };
        await using var sandbox = await Sandbox.CreateAsync(options, CancellationToken.None);
        var connectionStrings = sandbox.Members.Select(m => MariaDbEngine.ConnectionString(sandbox, m)).ToList();
        var cluster = Stores.FromConnectionStrings(StoreEngines.MariaDb, connectionStrings, allowDrillOn: Allowed(sandbox));
        await AssertLockedAsync(cluster, $"another drill holds it (MariaDB connection ");
    }

    [Fact]
    public async Task A_redis_cluster_given_by_addresses_is_locked_by_a_lease_naming_its_holder()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await RedisTests.CreateAsync(root, replicas: 1);
        var addresses = sandbox.Members.Select(m => RedisEngine.Address(sandbox, m)).ToList();
        var cluster = Stores.FromConnectionStrings(StoreEngines.Redis, addresses, allowDrillOn: Allowed(sandbox));
        await AssertLockedAsync(cluster, $"another drill holds it (pid {Environment.ProcessId} (");
    }

    [Fact]
    public async Task A_sandbox_lock_whose_holder_note_finds_no_room_is_let_go_at_once_for_the_next_drill_of_this_process()
    {
        using var root = new TemporaryRoot();
        using var disk = new Tmpfs(Path.Combine(root.Path, "sandboxes"), "160m");
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = disk.Path }, CancellationToken.None);
        // The server frozen: it shares the disk and writes on (WAL, checkpoints; on a full disk a PANIC and a restart), and a
        // clean-clone run failed the second lock on "no space left" after the filler had gone.
        var freeze = await Faults.Faults.StartAsync(await FaultTargets.ResolveAsync(FaultKind.Freeze, sandbox.Target, sandbox, "node0",
            new Dictionary<string, string>(), null, CancellationToken.None), null, CancellationToken.None);
        try
        {
            disk.Fill();

            var full = await Assert.ThrowsAsync<DrToolsException>(
                () => DrillLock.AcquireAsync(sandbox.Target, sandbox, "a drill of this test", CancellationToken.None));

            Assert.Equal($"cannot write {sandbox.Directory}/{DrillLock.HolderFileName}: no space left on the device.", full.Message);
            File.Delete(Path.Combine(disk.Path, "filler"));
            // One process lives on after a failed drill (a PowerShell session): the lock it could not complete is not kept.
            await (await DrillLock.AcquireAsync(sandbox.Target, sandbox, "the next drill", CancellationToken.None)).DisposeAsync();
        }
        finally
        {
            await Faults.Faults.StopAsync(freeze.Id, CancellationToken.None);
        }
    }

    /// <summary>While a lock is held, planning a switchover is refused naming the holder; once released, it plans.</summary>
    private static async Task AssertLockedAsync(IDrillTarget cluster, string holder)
    {
        var recovery = Recovery.For(cluster, null, new RecoveryRequest(name => name));
        await using (await DrillLock.AcquireAsync(cluster, null, "a drill of this test", CancellationToken.None))
        {
            var refused = await Assert.ThrowsAsync<DrToolsException>(
                () => recovery.PlanAsync(new FailoverOptions(), CancellationToken.None));
            Assert.StartsWith($"drill on {cluster.Name} refused: {holder}", refused.Message);
            Assert.EndsWith("One drill at a time per target; nothing was changed.", refused.Message);
        }
        Assert.Equal(FailoverMode.Switchover, (await recovery.PlanAsync(new FailoverOptions(), CancellationToken.None)).Mode);
    }

    [Fact]
    public async Task A_rejoin_is_refused_when_another_member_took_over_after_the_promotion_and_the_old_primary_stays_down()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 2, Root = root.Path }, CancellationToken.None);
        var control = new SandboxControl(sandbox);
        // Between the promotion and the rejoin, a second writer appears: what another drill or HA manager would do.
        var options = Failover with
        {
            Candidate = "node1",
            Rejoin = true,
            BeforeRejoin = async token =>
            {
                await Sql.ExecuteAsync(sandbox, "node2", "select pg_promote(wait => true)");
                return "node2 promoted by the test";
            },
        };
        var plan = await FailoverDrill.PlanAsync(sandbox.Target, control, options, CancellationToken.None);

        var error = await Assert.ThrowsAsync<DrToolsException>(
            () => FailoverDrill.RunAsync(plan, control, options, CancellationToken.None));

        Assert.Contains("the old primary node0 was not brought back: node1 and node2 accept writes, not node1 alone", error.Message);
        Assert.Contains($"The old primary node0 (127.0.0.1:{sandbox.Members[0].Port}) was left down", error.Message);
        var status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);
        Assert.Equal(MemberRole.Unreachable, status.Members.Single(m => m.Name == "node0").Role);
    }
}
