using System.Collections.Concurrent;
using DrTools.Core.Engines;
using DrTools.Core.Failover;
using DrTools.Core.MariaDb;
using DrTools.Core.Probes;
using DrTools.Core.Sandboxes;
using MySqlConnector;

namespace DrTools.Core.Tests;

/// <summary>
/// A MariaDB sandbox's application account, which read_only stops (the admin account has READ ONLY ADMIN): applications
/// and DrTools' probes write as it, so a member DrTools made read-only takes none of their writes.
/// </summary>
public sealed class MariaDbApplicationAccountTests
{
    private const int ReadOnlyRefused = 1290;

    private static Task<Sandbox> CreateAsync(TemporaryRoot root, int replicas) =>
        Sandbox.CreateAsync(new SandboxOptions { Engine = StoreEngines.MariaDb, Standbys = replicas, Root = root.Path }, CancellationToken.None);

    /// <summary>A connection as the application account; pooling off, so each open is a new connection.</summary>
    private static MySqlConnection Application(Sandbox sandbox, string member) => new(new MySqlConnectionStringBuilder(
        MariaDbEngine.ConnectionString(sandbox, sandbox.Members.Single(m => m.Name == member), MariaDbEngine.ApplicationUser))
    {
        Pooling = false, ConnectionTimeout = 1, DefaultCommandTimeout = 5,
    }.ConnectionString);

    private static async Task ExecuteAsync(MySqlConnection connection, string sql)
    {
        if (connection.State != System.Data.ConnectionState.Open) await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task AssertReadOnlyRefusesAsync(Sandbox sandbox, string member, string sql)
    {
        await using var connection = Application(sandbox, member);
        var refused = await Assert.ThrowsAsync<MySqlException>(() => ExecuteAsync(connection, sql));
        Assert.Equal(ReadOnlyRefused, refused.Number);
    }

    [Fact]
    public async Task The_application_account_writes_to_the_primary_only_and_read_only_refuses_it_on_a_replica()
    {
        using var root = new TemporaryRoot();
        await using (var sandbox = await CreateAsync(root, replicas: 1))
        {
            Assert.Equal(MariaDbEngine.ApplicationUser, sandbox.ApplicationUser);
            Assert.Equal(Sandbox.UserName, sandbox.AdminUser);
            await using (var primary = Application(sandbox, "node0"))
            {
                await ExecuteAsync(primary, "create database shop");
                await ExecuteAsync(primary, "create table shop.t (id int primary key)");
                await ExecuteAsync(primary, "insert into shop.t values (1)");
            }
            var cluster = (IReplicaSet)sandbox.Cluster;
            await cluster.WaitAppliedAsync("node1", await cluster.AppliedPositionAsync("node0", CancellationToken.None),
                TimeSpan.FromSeconds(10), CancellationToken.None);
            await AssertReadOnlyRefusesAsync(sandbox, "node1", "insert into shop.t values (2)");
            await AssertReadOnlyRefusesAsync(sandbox, "node1", "create database other");
            // It cannot lift read_only either; the admin account can, and sets it back.
            await using (var replica = Application(sandbox, "node1"))
            {
                await Assert.ThrowsAsync<MySqlException>(() => ExecuteAsync(replica, "set global read_only = 0"));
            }
            await MariaDbSql.ScalarAsync(sandbox, "node1", "set global read_only = 0; set global read_only = 1; select 1");
            Assert.Equal(1, await MariaDbSql.ScalarAsync(sandbox, "node1", "select count(*) from shop.t"));
            var status = await cluster.GetStatusAsync(CancellationToken.None);
            Assert.True(status.Healthy, status.Verdict);
            Assert.Empty(status.Warnings); // its probes write as the application account

            // Given by connection strings with the admin account, whose writes read_only does not stop: status says so.
            var byAdmin = MariaDbCluster.FromConnectionStrings(sandbox.Members.Select(m => MariaDbEngine.ConnectionString(sandbox, m)).ToList());
            var warned = await byAdmin.GetStatusAsync(CancellationToken.None);
            Assert.Equal(2, warned.Warnings.Count);
            Assert.All(warned.Warnings, w => Assert.Contains($"the account '{Sandbox.UserName}', which the probes write as, has READ_ONLY ADMIN", w));
        }
        root.AssertNothingLeft();
    }

    [Fact]
    public async Task The_probe_connects_as_the_application_account_and_read_only_stops_its_writes()
    {
        using var root = new TemporaryRoot();
        await using (var sandbox = await CreateAsync(root, replicas: 1))
        {
            var cluster = (IReplicaSet)sandbox.Cluster;
            await cluster.PrepareProbeAsync("node0", CancellationToken.None);
            var connector = cluster.ProbeConnector(ProbeKind.Write, new ProbeOptions());
            Assert.Contains($"as user '{MariaDbEngine.ApplicationUser}'", connector.Path);
            var runId = Guid.NewGuid();
            await using (var session = await connector.OpenAsync(CancellationToken.None))
            {
                await session.AttemptAsync(ProbeKind.Write, runId, 1, CancellationToken.None);
                Assert.Equal(1, await MariaDbSql.ScalarAsync(sandbox, "node0",
                    $"select count(*) from information_schema.processlist where user = '{MariaDbEngine.ApplicationUser}'"));
                // Made read-only under it, the member refuses the session's next write as it would an application's.
                await MariaDbSql.ScalarAsync(sandbox, "node0", "set global read_only = 1; select 1");
                var refused = await Assert.ThrowsAsync<MySqlException>(() => session.AttemptAsync(ProbeKind.Write, runId, 2, CancellationToken.None));
                Assert.Equal(ReadOnlyRefused, refused.Number);
                Assert.True(connector.Refused(refused));
            }
            Assert.Equal(1, await MariaDbSql.ScalarAsync(sandbox, "node0", $"select count(*) from drtools.drtools_probe where run_id = '{runId}'"));
        }
        root.AssertNothingLeft();
    }

    [Fact]
    public async Task An_application_writing_to_the_old_primary_through_a_failover_with_rejoin_loses_no_write_uncounted()
    {
        using var root = new TemporaryRoot();
        await using (var sandbox = await CreateAsync(root, replicas: 2))
        {
            var cluster = (IReplicaSet)sandbox.Cluster;
            await MariaDbSql.ScalarAsync(sandbox, "node0", "create database shop; create table shop.t (id bigint primary key); select 1");
            var created = await cluster.AppliedPositionAsync("node0", CancellationToken.None);
            foreach (var replica in new[] { "node1", "node2" })
            {
                await cluster.WaitAppliedAsync(replica, created, TimeSpan.FromSeconds(10), CancellationToken.None);
            }
            // The application writes to the old primary's port, a new connection every 2 ms, through the kill and the rejoin.
            var acknowledged = new ConcurrentBag<long>();
            var readOnlyRefusals = 0;
            using var stop = new CancellationTokenSource();
            var writer = Task.Run(async () =>
            {
                for (long id = 1; !stop.IsCancellationRequested; id++)
                {
                    try
                    {
                        await using var connection = Application(sandbox, "node0");
                        await ExecuteAsync(connection, $"insert into shop.t values ({id})");
                        acknowledged.Add(id);
                    }
                    catch (MySqlException e)
                    {
                        if (e.Number == ReadOnlyRefused) Interlocked.Increment(ref readOnlyRefusals);
                    }
                    await Task.Delay(2);
                }
            });
            await Polling.RequireAsync(() => Task.FromResult(acknowledged.Count >= 50), TimeSpan.FromSeconds(60),
                TimeSpan.FromMilliseconds(20), () => "the application acknowledged fewer than 50 writes in 60 s", CancellationToken.None);
            var options = new FailoverOptions
            {
                Mode = FailoverMode.Failover, Rejoin = true, WriteProbe = new ProbeOptions { Rate = 20 },
                ReadProbe = new ProbeOptions { Rate = 5 }, CheckIntegrity = false, BaselineWrites = 10,
            };
            var drill = new ReplicaSetDrill(cluster);
            var result = await drill.RunAsync(await drill.PlanAsync(options, CancellationToken.None), options, CancellationToken.None);
            // The writer keeps hitting the rejoined old primary for a while: read_only refuses it.
            var refusedAtEnd = Volatile.Read(ref readOnlyRefusals);
            await Polling.RequireAsync(() => Task.FromResult(Volatile.Read(ref readOnlyRefusals) > refusedAtEnd + 20), TimeSpan.FromSeconds(30),
                TimeSpan.FromMilliseconds(20), () => "the rejoined old primary did not refuse the application's writes", CancellationToken.None);
            await stop.CancelAsync();
            await writer;

            var timeline = string.Join("\n", result.Timeline.Select(e => $"{e.At} {e.Name} {e.Detail}"));
            Assert.True(result.TopologyAfter.Healthy, result.TopologyAfter.Verdict + "\n" + timeline);
            var newPrimary = result.TopologyAfter.Primary!.Name;
            Assert.NotEqual("node0", newPrimary);
            var present = new HashSet<long>();
            await using (var connection = new MySqlConnection(MariaDbEngine.ConnectionString(sandbox, sandbox.Members.Single(m => m.Name == newPrimary))))
            {
                await connection.OpenAsync();
                await using var query = new MySqlCommand("select id from shop.t", connection);
                await using var reader = await query.ExecuteReaderAsync();
                while (await reader.ReadAsync()) present.Add(reader.GetInt64(0));
            }
            var missing = acknowledged.Where(id => !present.Contains(id)).Order().ToList();
            var discarded = Assert.IsType<Measurement>(result.DiscardedTransactions);
            Assert.True(missing.Count <= discarded.Measured,
                $"{missing.Count} acknowledged application writes are not on {newPrimary} ({string.Join(",", missing)}), "
                + $"{discarded.Measured} transactions counted discarded ({discarded.Method})\n{timeline}");
            // The rejoined old primary refuses the application; the admin account still administers it.
            await AssertReadOnlyRefusesAsync(sandbox, "node0", "insert into shop.t values (0)");
            await MariaDbSql.ScalarAsync(sandbox, "node0", "set global read_only = 1; select 1");
        }
        root.AssertNothingLeft();
    }
}
