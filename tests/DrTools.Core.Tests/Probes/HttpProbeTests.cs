using DrTools.Core.Failover;
using DrTools.Core.Probes;
using DrTools.Core.Sandboxes;
using Npgsql;

namespace DrTools.Core.Tests;

/// <summary>The application-level HTTP probe against real HTTP endpoints on loopback: one that is told when to fail, and an application that asks its database.</summary>
public sealed class HttpProbeTests
{
    private static double Figure(IEnumerable<Measurement> figures, string name) => figures.Single(f => f.Name == name).Measured;

    [Fact]
    public async Task An_endpoint_that_fails_for_a_second_shows_its_error_rate_longest_failure_run_and_time_to_recover()
    {
        // Requests 21 to 40 fail: a second of failures at 20/s, counted by request so a busy machine cannot shift it.
        var requests = 0;
        using var endpoint = new HealthEndpoint(() => Task.FromResult(Interlocked.Increment(ref requests) is > 20 and <= 40 ? 503 : 200));
        await using var probe = HttpProbe.Start(new HttpProbeOptions(new Uri(endpoint.Url)) { Rate = 20, MaxErrorRate = 5, P99 = TimeSpan.FromSeconds(5) }, new MonotonicClock());
        await Polling.RequireAsync(() => Task.FromResult(Volatile.Read(ref requests) >= 60), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(20), () => "the probe sent fewer than 60 requests in 30 s", CancellationToken.None);

        var result = await probe.StopAsync();

        Assert.InRange(Figure(result.Figures, "HTTP error rate"), 20.0 * 100 / result.Attempts - 0.001, 50);
        Assert.InRange(Figure(result.Figures, "HTTP longest run of failures"), 10, 20);
        Assert.InRange(Figure(result.Figures, "HTTP time to recover"), 0.5, 2);
        Assert.Equal(result.Failed, result.Samples.Count(s => s.Error == "answered 503, expected 200"));
        Assert.False(result.Figures.Single(f => f.Name == "HTTP error rate").Met);
        Assert.True(result.Figures.Single(f => f.Name == "HTTP latency p99").Met);
        Assert.False(result.Met);
        Assert.Equal("HTTP probe URL 'localhost:80': write it as http://HOST:PORT/PATH.", Assert.Throws<DrToolsException>(() => HttpProbeOptions.ParseUrl("localhost:80")).Message);
    }

    [Fact]
    public async Task An_application_that_asks_its_database_fails_during_a_failover_and_recovers_as_the_probe_reports()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        // The application: every request writes through the cluster's read-write members, 1 s timeout, 503 when it cannot.
        var database = new NpgsqlConnectionStringBuilder(sandbox.ConnectionString(sandbox.Members[0]))
        {
            Host = string.Join(",", sandbox.Members.Select(m => $"127.0.0.1:{m.Port}")), TargetSessionAttributes = "read-write", HostRecheckSeconds = 0, Timeout = 1, CommandTimeout = 1, Pooling = false,
        }.ConnectionString;
        // After its third 503 the application leaves a mark: the fault (the primary's SIGKILL) holds the failover until
        // then, so the probe sees the outage however slowly a busy machine runs it.
        const int failuresBeforeRecovery = 3;
        var failures = 0;
        var failedEnough = Path.Combine(root.Path, "application-failed");
        using var application = new HealthEndpoint(async () =>
        {
            try
            {
                await Sql.ScalarOnAsync<int>(database, "select 1 from (select pg_current_wal_lsn()) as writable");
                return 200;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                if (Interlocked.Increment(ref failures) == failuresBeforeRecovery) await File.WriteAllTextAsync(failedEnough, "");
                return 503;
            }
        });
        var options = new FailoverOptions { Mode = FailoverMode.Failover, HttpProbe = new HttpProbeOptions(new Uri(application.Url)) { Rate = 20, MaxErrorRate = 100 } };
        var fault = $"kill -KILL $(head -1 '{Path.Combine(sandbox.Members[0].DataDirectory, "postmaster.pid")}') && " +
            $"for i in $(seq 600); do [ -e '{failedEnough}' ] && exit 0; sleep 0.05; done; echo 'the application never failed' >&2; exit 1";
        var recovery = Recovery.For(sandbox.Target, sandbox, null, null, fault, null);

        var result = await recovery.RunAsync(await recovery.PlanAsync(options, CancellationToken.None), options, CancellationToken.None);

        var http = Assert.IsType<HttpProbeResult>(result.HttpProbe);
        Assert.True(http.Failed >= failuresBeforeRecovery, $"{http}");
        Assert.True(http.Samples[^1].Succeeded, $"{http}");
        Assert.InRange(Figure(result.Figures, "HTTP time to recover"), 0.01, 30);
        Assert.Contains(result.Figures, f => f.Name == "write latency p99");
        Assert.True(result.Met);
    }
}
