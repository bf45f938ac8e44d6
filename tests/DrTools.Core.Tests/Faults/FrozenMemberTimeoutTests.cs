using System.Diagnostics;
using DrTools.Core.Engines;
using DrTools.Core.MariaDb;
using DrTools.Core.Postgres;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

/// <summary>
/// A frozen server (SIGSTOP: the kernel accepts the connection, nothing answers it) is given up on within the connect
/// timeout: asking whether another engine listens there adds no more than a small margin to it.
/// </summary>
public sealed class FrozenMemberTimeoutTests
{
    [Theory]
    [InlineData(StoreEngines.PostgreSql)]
    [InlineData(StoreEngines.MariaDb)]
    public async Task An_open_to_a_frozen_member_ends_within_its_connect_timeout_and_says_nothing_answered(string engine)
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Engine = engine, Standbys = 0, Root = root.Path },
            CancellationToken.None);
        var timeout = TimeSpan.FromSeconds(2);
        var server = sandbox.Members[0];
        Func<Task> open = engine == StoreEngines.PostgreSql
            ? async () => await (await DbMember.Parse(sandbox.ConnectionString(server), 1, connectTimeout: timeout)
                .OpenAsync(CancellationToken.None)).DisposeAsync()
            : async () => await (await MariaDbMember.Parse(MariaDbEngine.ConnectionString(sandbox, server), 1, connectTimeout: timeout)
                .OpenAsync(CancellationToken.None)).DisposeAsync();
        var frozen = ProcessTable.FindByWorkingDirectory(server.DataDirectory);
        Assert.NotEmpty(frozen);
        foreach (var pid in frozen) Assert.True(ProcessTable.Signal(pid, ProcessTable.SigStop));
        try
        {
            var clock = Stopwatch.StartNew();
            var failed = await Assert.ThrowsAnyAsync<DrToolsException>(open);
            var elapsed = clock.Elapsed;

            Assert.True(elapsed >= timeout, $"{elapsed}: {failed.Message}");
            // Before: a second for each of two questions to the frozen port, after the timeout (4 s for 2 s). Now the questions
            // share one budget; a loaded machine may add most of a second to the timeout itself.
            Assert.True(elapsed < timeout + ForeignServerProbe.Budget + TimeSpan.FromSeconds(1),
                $"the open ended {elapsed} after it began: {failed.Message}");
            Assert.Contains("no answer within 2s", failed.Message);
            Assert.DoesNotContain("another engine", failed.Message);
        }
        finally
        {
            foreach (var pid in frozen) ProcessTable.Signal(pid, ProcessTable.SigCont);
        }
    }

    [Fact]
    public async Task A_PostgreSQL_open_at_a_Redis_port_still_names_the_other_engine_within_the_same_margin()
    {
        using var root = new TemporaryRoot();
        await using var redis = await RedisTests.CreateAsync(root, replicas: 0);
        var timeout = TimeSpan.FromSeconds(2);
        var member = DbMember.Parse($"Host=127.0.0.1;Port={redis.Members[0].Port};Username=drtools;Password=x", 1, connectTimeout: timeout);

        var clock = Stopwatch.StartNew();
        // Redis waits silently for a line after PostgreSQL's binary start-up packet: only asking with a line tells.
        var failed = await Assert.ThrowsAnyAsync<DrToolsException>(
            async () => await (await member.OpenAsync(CancellationToken.None)).DisposeAsync());

        Assert.True(clock.Elapsed < timeout + ForeignServerProbe.Budget + TimeSpan.FromSeconds(1),
            $"the open ended {clock.Elapsed} after it began: {failed.Message}");
        Assert.Contains("the server there answered, but not as PostgreSQL (it answered '-", failed.Message);
        Assert.Contains("as Redis does); is it another engine's port?", failed.Message);
    }

    /// <summary>
    /// A MariaDB server that greets only after the connect timeout (a loaded machine) greets the question asked after it at
    /// once: that is MariaDB, slow, not "another engine's port" (seen under a load of 50).
    /// </summary>
    [Fact]
    public async Task A_MariaDB_member_that_greets_after_the_connect_timeout_is_a_timeout_not_another_engine()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Engine = StoreEngines.MariaDb, Standbys = 0,
            Root = root.Path }, CancellationToken.None);
        // The first connection reaches a listener that never speaks; every later one, the server.
        var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        try
        {
            var connections = 0;
            await using var relay = new TcpRelay(() => Interlocked.Increment(ref connections) == 1
                ? ((System.Net.IPEndPoint)silent.LocalEndpoint).Port : sandbox.Members[0].Port);
            var connectionString = new MySqlConnector.MySqlConnectionStringBuilder(
                MariaDbEngine.ConnectionString(sandbox, sandbox.Members[0])) { Port = (uint)relay.Port }.ConnectionString;
            var member = MariaDbMember.Parse(connectionString, 1, connectTimeout: TimeSpan.FromSeconds(1));

            var failed = await Assert.ThrowsAnyAsync<DrToolsException>(
                async () => await (await member.OpenAsync(CancellationToken.None)).DisposeAsync());

            Assert.Equal(2, connections);
            Assert.Contains("cannot connect: no answer within 1s (a new connection asked after it was greeted at once", failed.Message);
            Assert.DoesNotContain("another engine", failed.Message);
        }
        finally
        {
            silent.Stop();
        }
    }
}
