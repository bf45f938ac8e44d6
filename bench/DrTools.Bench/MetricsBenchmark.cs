using System.Diagnostics;
using System.Text;
using DrTools.Core;
using DrTools.Core.Metrics;
using DrTools.Core.Monitoring;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;
using Npgsql;

namespace DrTools.Bench;

/// <summary>
/// A scrape of `metrics serve` for a 3-member cluster (primary + 2 standbys) against psql reading the same views in
/// the same run (target: DrTools' median ≤ 50 ms); and DrTools' alert receiver: a notification POSTed to it against
/// the same POST to a bare listener that only answers (target: ≤ 10 ms more).
/// </summary>
public static class MetricsBenchmark
{
    private const string SameViews = """
        select pg_is_in_recovery();
        select application_name, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), extract(epoch from replay_lag) from pg_stat_replication;
        select archived_count, failed_count, last_archived_time from pg_stat_archiver;
        """;

    public static async Task RunAsync(int runs)
    {
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 2 }, CancellationToken.None);
        using var stop = new CancellationTokenSource();
        var listen = $"127.0.0.1:{LoopbackPort.Free()}";
        var inbox = Path.Combine(sandbox.Directory, "bench-notifications.jsonl");
        var serving = MetricsServer.ServeAsync(listen, new MetricSources { Targets = [sandbox.Target], History = false }, null, TimeSpan.FromMinutes(1), _ => { }, stop.Token, new AlertInbox(inbox));
        using var http = new HttpClient();
        await http.GetStringAsync($"http://{listen}/metrics"); // connections pooled, code jitted, as in a long-running serve
        var (scrapes, psql) = (new List<double>(), new List<double>());
        for (var run = 1; run <= runs; run++)
        {
            scrapes.Add(await TimeAsync(() => http.GetStringAsync($"http://{listen}/metrics")));
            psql.Add(await TimeAsync(() => PsqlAsync(sandbox)));
            Console.WriteLine($"run {run}: scrape {scrapes[^1]:0.0} ms, psql on each member {psql[^1]:0.0} ms");
        }
        Console.WriteLine($"metrics scrape of a 3-member cluster, {runs} runs, {Environment.ProcessorCount} cores:");
        Console.WriteLine($"  DrTools median {Statistics.Median(scrapes):0.0} ms, max {scrapes.Max():0.0} ms; psql reading the same views median {Statistics.Median(psql):0.0} ms; ratio {Statistics.Median(scrapes) / Statistics.Median(psql):0.00}; target median <= 50 ms: {(Statistics.Median(scrapes) <= 50 ? "met" : "NOT met")}");

        using var bare = new System.Net.HttpListener();
        var barePrefix = $"http://127.0.0.1:{LoopbackPort.Free()}/";
        bare.Prefixes.Add(barePrefix);
        bare.Start();
        _ = Task.Run(async () =>
        {
            while (bare.IsListening)
            {
                try
                {
                    var context = await bare.GetContextAsync();
                    await context.Request.InputStream.CopyToAsync(Stream.Null);
                    context.Response.Close();
                }
                catch (Exception e) when (e is System.Net.HttpListenerException or ObjectDisposedException) { return; }
            }
        });
        var payload = """{"receiver":"drtools","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"InstanceDown","member":"node0"},"startsAt":"2026-11-26T10:00:00Z","endsAt":"0001-01-01T00:00:00Z"}]}""";
        var (received, baseline) = (new List<double>(), new List<double>());
        for (var run = 1; run <= runs * 5; run++)
        {
            received.Add(await TimeAsync(() => http.PostAsync($"http://{listen}/alerts", new StringContent(payload, Encoding.UTF8, "application/json"))));
            baseline.Add(await TimeAsync(() => http.PostAsync(barePrefix, new StringContent(payload, Encoding.UTF8, "application/json"))));
        }
        var overhead = Statistics.Median(received) - Statistics.Median(baseline);
        Console.WriteLine($"alert receiver, {received.Count} notifications: median {Statistics.Median(received):0.00} ms, bare listener {Statistics.Median(baseline):0.00} ms; overhead {overhead:0.00} ms; target <= 10 ms: {(overhead <= 10 ? "met" : "NOT met")}");
        Console.WriteLine($"  (the receiver stamps a notification as it arrives, before reading it: what it adds to a measured time to alert is the time to that stamp)");
        bare.Stop();
        await stop.CancelAsync();
        await serving;
    }

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var clock = Stopwatch.StartNew();
        await action();
        return clock.Elapsed.TotalMilliseconds;
    }

    /// <summary>psql on every member at once, each reading what the metrics read: the baseline a shell script would be.</summary>
    private static Task PsqlAsync(Sandbox sandbox) => Task.WhenAll(sandbox.Members.Select(member =>
    {
        var connection = new NpgsqlConnectionStringBuilder(sandbox.ConnectionString(member));
        return CommandRunner.RunAsync(new CommandSpec("psql", sandbox.Binaries.Tool("psql"), ["-h", "127.0.0.1", "-p", member.ClientPort.ToString(), "-U", connection.Username!, "-d", "postgres", "-Atqc", SameViews])
        {
            Environment = new Dictionary<string, string> { ["PGPASSWORD"] = connection.Password! },
        }, CancellationToken.None);
    }));
}
