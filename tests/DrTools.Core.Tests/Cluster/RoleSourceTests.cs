using DrTools.Core.Cluster;
using DrTools.Core.Engines;
using DrTools.Core.Redis;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

/// <summary>
/// The replica-set drills' role watch asks every member its own role every 20 ms from before the fault until the topology
/// settles: on one connection per member kept open, as the status decides roles. A new connection and a full status for
/// every poll (100 MariaDB or Redis connections a second on a pair) cost the switchovers their speed (bench/README.md).
/// </summary>
public sealed class RoleSourceTests
{
    private const int Polls = 20;

    [Theory]
    [InlineData(StoreEngines.MariaDb)]
    [InlineData(StoreEngines.Redis)]
    public async Task Roles_are_read_on_one_connection_per_member_and_agree_with_the_status(string engine)
    {
        using var root = new TemporaryRoot();
        await using (var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Engine = engine, Standbys = 1, Root = root.Path },
            CancellationToken.None))
        {
            var cluster = (IReplicaSet)sandbox.Cluster;
            var status = await cluster.GetStatusAsync(CancellationToken.None);
            var expected = status.Members.Select(m => (m.Endpoint, (bool?)(m.Role == MemberRole.Primary))).ToList();
            Assert.Single(expected, e => e.Item2 == true);
            Dictionary<string, long> before;
            await using (var roles = cluster.Roles())
            {
                // A first open may outlast the answer timeout on a busy machine: counted from the first poll that answered.
                await Polling.RequireAsync(async () => (await roles.ReadAsync(CancellationToken.None)).All(r => r.Primary is not null),
                    TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(20), () => "no poll was answered by every member",
                    CancellationToken.None);
                before = await ConnectionsAsync(sandbox, engine);
                for (var poll = 0; poll < Polls; poll++)
                {
                    Assert.Equal(expected, (await roles.ReadAsync(CancellationToken.None)).Select(r => (r.Member, r.Primary)));
                }
            }
            var after = await ConnectionsAsync(sandbox, engine);
            foreach (var member in sandbox.Members)
            {
                // The count's own connection (the count before included its own), and one more if a poll outlasted its
                // timeout on a busy machine; a new connection for every poll would be 20 more.
                var opened = after[member.Name] - before[member.Name];
                Assert.True(opened <= 2, $"{opened} connections to {member.Name} were opened for {Polls} polls and one count");
            }
        }
        root.AssertNothingLeft();
    }

    [Fact]
    public async Task A_MariaDB_role_connection_killed_is_opened_again_at_a_later_poll()
    {
        using var root = new TemporaryRoot();
        await using (var sandbox = await Sandbox.CreateAsync(
            new SandboxOptions { Engine = StoreEngines.MariaDb, Standbys = 1, Root = root.Path }, CancellationToken.None))
        {
            var cluster = (IReplicaSet)sandbox.Cluster;
            await using var roles = cluster.Roles();
            // A first open may outlast the answer timeout on a busy machine: that poll reads nothing, a later one the roles.
            await Polling.RequireAsync(async () => (await roles.ReadAsync(CancellationToken.None)).Select(r => r.Primary)
                .SequenceEqual([true, false]), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(20),
                () => "the role source never read node0 as the primary and node1 as a replica", CancellationToken.None);
            // Every idle client connection of the primary: the role source's is one of them (replication threads are not idle).
            var killed = await MariaDbSql.ScalarAsync(sandbox, "node0",
                "select count(*) from information_schema.processlist where command = 'Sleep' and id <> connection_id()");
            Assert.True(killed >= 1, "the role source kept no connection to the primary");
            await MariaDbSql.ScalarAsync(sandbox, "node0",
                "for c in (select id from information_schema.processlist where command = 'Sleep' and id <> connection_id()) "
                + "do kill connection c.id; end for; select 1");
            // The poll that finds its connection gone says so (null); a later one reads the primary on a new connection.
            var readings = new List<bool?>();
            await Polling.RequireAsync(async () =>
            {
                readings.Add((await roles.ReadAsync(CancellationToken.None))[0].Primary);
                return readings[^1] == true;
            }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(20), () => string.Join(", ", readings), CancellationToken.None);
            Assert.Null(readings[0]);
            Assert.DoesNotContain(false, readings);
        }
        root.AssertNothingLeft();
    }

    /// <summary>Connections each member accepted since it started (MariaDB's Connections, Redis's total_connections_received).</summary>
    private static async Task<Dictionary<string, long>> ConnectionsAsync(Sandbox sandbox, string engine)
    {
        var counts = new Dictionary<string, long>();
        foreach (var member in sandbox.Members)
        {
            counts[member.Name] = engine == StoreEngines.MariaDb
                ? await MariaDbSql.ScalarAsync(sandbox, member.Name,
                    "select variable_value from information_schema.global_status where variable_name = 'CONNECTIONS'")
                : long.Parse(((string)(await ((RedisCluster)sandbox.Cluster).Member(member.Name)
                        .CommandAsync(CancellationToken.None, "INFO", "stats"))!)
                    .Split("\r\n").Single(line => line.StartsWith("total_connections_received:", StringComparison.Ordinal))
                    .Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        return counts;
    }
}
