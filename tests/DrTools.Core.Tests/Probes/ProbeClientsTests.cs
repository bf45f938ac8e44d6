using DrTools.Core.Faults;
using DrTools.Core.Probes;
using DrTools.Core.Sandboxes;
using Npgsql;

namespace DrTools.Core.Tests;

/// <summary>
/// A probe's clients against a real server that serves the connections it has but refuses new ones (every connection
/// slot taken): what an application's pool under churn lives through and one kept-open connection never sees.
/// </summary>
[Collection("Faults")]
public sealed class ProbeClientsTests
{
    /// <summary>Each client's: 40 attempts per second together.</summary>
    private const double Rate = 10;
    /// <summary>A pool: three kept-open connections and one opening a new connection for every write.</summary>
    private const int Clients = 4;
    /// <summary>How long new connections are refused.</summary>
    private static readonly TimeSpan Refused = TimeSpan.FromSeconds(1.5);

    private sealed record Run(Outage Outage, IReadOnlyList<ProbeSample> Samples, TimeSpan Issued, TimeSpan Undone);

    [Fact]
    public async Task New_connections_refused_while_open_ones_write_are_a_window_of_the_churning_client_one_connection_never_sees()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        await Probe.PrepareAsync(sandbox.Target.Members[0], CancellationToken.None);

        var pool = await RefuseNewConnectionsAsync(sandbox, new ProbeOptions { Rate = Rate, Clients = Clients });
        const int churn = Clients;
        var outage = pool.Outage;
        var window = outage.Duration!.Value;
        // The churning client failed from about when every slot was taken to about the undo: the window covers that.
        Assert.True(window >= Refused - TimeSpan.FromSeconds(0.3), $"window {window}, new connections refused for {Refused}");
        Assert.True(window <= pool.Undone - pool.Issued + TimeSpan.FromSeconds(0.5), $"window {window}, fault {pool.Issued}-{pool.Undone}");
        Assert.Equal([churn], outage.FailedClients);
        var failed = pool.Samples.Where(s => !s.Succeeded && !s.Stopped).ToList();
        Assert.All(failed, s => Assert.Contains("too many clients", s.Error));
        // The kept-open connections went on writing inside the window: an error rate, not a blackout.
        Assert.InRange(outage.FailedAttempts, 3, outage.Attempts / 2);
        Assert.Equal(100.0 * outage.FailedAttempts / outage.Attempts, outage.ErrorRate, 9);
        Assert.True(outage.LongestGap >= Refused - TimeSpan.FromSeconds(0.3), $"{outage.LongestGap}");

        // Each kept-open client used one connection, the churning one a new connection for every attempt, all numbered apart.
        var connections = pool.Samples.GroupBy(s => s.Client).ToDictionary(c => c.Key, c => c.Select(s => s.Connection).ToList());
        Assert.Equal(Enumerable.Range(1, Clients), connections.Keys.Order());
        Assert.All(connections.Where(c => c.Key != churn), c => Assert.Single(c.Value.Distinct()));
        Assert.Equal(connections[churn].Count, connections[churn].Distinct().Count());
        Assert.Equal(connections.Values.Sum(c => c.Distinct().Count()), connections.Values.SelectMany(c => c).Distinct().Count());
        Assert.Equal(pool.Samples.Count, pool.Samples.Select(s => s.Sequence).Distinct().Count());

        // One kept-open connection, as the probe was before it had clients: it wrote on, and reports next to nothing. A loaded
        // machine can stall one commit as long as the fault lasts (a CI run: one insert 1.52 s); the fault would stall it
        // every time, so a second run decides.
        var stalls = new List<string>();
        for (var run = 1; run <= 2; run++)
        {
            var single = await RefuseNewConnectionsAsync(sandbox, new ProbeOptions { Rate = Rate * Clients, Clients = 1 });
            Assert.Equal(0, single.Outage.FailedAttempts);
            var measured = single.Outage.Measured(single.Samples);
            if (measured < TimeSpan.FromSeconds(0.6)) return;
            stalls.Add($"run {run}: {measured}: " + string.Join(", ", single.Samples
                .Where(s => s.Acknowledged - s.Sent > TimeSpan.FromSeconds(0.2))
                .Select(s => $"{s.Sent.TotalSeconds:0.000}+{(s.Acknowledged - s.Sent)!.Value.TotalSeconds:0.000}")));
        }
        Assert.Fail(string.Join("; ", stalls));
    }

    /// <summary>
    /// Runs the probe, takes every connection slot of the primary (ConnectionExhaustion, leave=0) for <see cref="Refused"/>,
    /// undoes it, and waits until every client wrote again.
    /// </summary>
    private static async Task<Run> RefuseNewConnectionsAsync(Sandbox sandbox, ProbeOptions options)
    {
        var clock = new MonotonicClock();
        var primary = sandbox.Target.Members[0];
        await using var probe = Probe.Start(ProbeKind.Write, Guid.NewGuid(), sandbox.Target, options, clock);
        await probe.WaitForBaselineAsync(4 * options.Clients, TimeSpan.FromSeconds(30), CancellationToken.None);
        var request = await FaultTargets.ResolveAsync(FaultKind.ConnectionExhaustion, sandbox.Target, sandbox, "node0",
            FaultTargets.ParseParameters(["leave=0"]), null, CancellationToken.None);
        var soaked = new List<NpgsqlConnection>();
        FaultRecord? fault = null;
        TimeSpan issued, undone;
        try
        {
            issued = clock.Elapsed;
            fault = await Faults.Faults.StartAsync(request, null, CancellationToken.None);
            // A slot the churning client held while the fault took the others is free again once it closes: taken here.
            var until = clock.Elapsed + Refused;
            while (clock.Elapsed < until)
            {
                await SoakAsync(primary.CreateBuilder().ConnectionString, soaked);
                await Task.Delay(10);
            }
        }
        finally
        {
            foreach (var connection in soaked) await connection.DisposeAsync();
            if (fault is not null) await Faults.Faults.StopAsync(fault.Id, CancellationToken.None);
            undone = clock.Elapsed;
        }
        Assert.True(await Polling.UntilAsync(() => Task.FromResult(probe.Unserved(undone, primary.Endpoint) is null),
            TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(20), CancellationToken.None), probe.Unserved(undone, primary.Endpoint));
        var samples = await probe.StopAsync();
        return new Run(ProbeAnalysis.Outage(samples, issued), samples, issued, undone);
    }

    /// <summary>Opens one more session if the server has a slot free, and keeps it.</summary>
    private static async Task SoakAsync(string connectionString, List<NpgsqlConnection> soaked)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 2 };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync();
            soaked.Add(connection);
        }
        catch (PostgresException e) when (e.SqlState == "53300")
        {
            await connection.DisposeAsync();
        }
    }
}
