using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DrTools.Core.Backups;
using DrTools.Core.Metrics;
using DrTools.Core.Postgres;
using DrTools.Core.Replication;
using DrTools.Core.Runbooks;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

/// <summary>DrTools' metrics read from a real cluster, repository and history, checked with promtool and scraped by a real Prometheus.</summary>
public sealed class MetricsTests
{
    private static double Value(IReadOnlyList<MetricSample> samples, string name, params (string Key, string Value)[] labels) =>
        samples.Single(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value)).Value;

    [Fact]
    public async Task The_metrics_of_a_cluster_repository_and_history_pass_promtool_and_match_what_the_cmdlets_measure()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var repository = BackupRepository.Open(Path.Combine(root.Path, "repository"), create: true);
        await DbBackups.ConfigureArchivingAsync(sandbox.Target, repository, CancellationToken.None);
        await DbBackups.CreateAsync(sandbox.Target, repository, new BackupOptions(), CancellationToken.None);
        var history = Path.Combine(root.Path, "history");
        await RunbookExecutor.RunAsync(RunbookParser.Parse("""
            name: Metrics drill
            objectives: { rto: 60s }
            targets: { db: { sandbox: { standbys: 0 } } }
            steps:
              - { name: Healthy, run: Get-DbClusterStatus, with: { target: db }, objective: rto }
            """, "metrics.yml"), new RunbookRunOptions { SandboxRoot = root.Path, HistoryRoot = history }, CancellationToken.None);
        // Replay paused and WAL written: a lag that holds still while both readings are taken.
        await Sql.ExecuteAsync(sandbox, "node1", "select pg_wal_replay_pause()");
        await Sql.ExecuteAsync(sandbox, "node0", "create table lagging as select g from generate_series(1, 10000) g");

        // The archiver may add a segment at any moment: the window read just before or just after the metrics stands.
        // The primary may write WAL meanwhile (autovacuum): with replay paused the lag only grows, so the scrape's lies between
        // the cmdlet's readings before and after it.
        var lagOptions = new ReplicationLagOptions { MaxLag = TimeSpan.FromSeconds(1) };
        var lagBefore = Assert.Single(await ReplicationLagTester.MeasureAsync(sandbox.Target, lagOptions, CancellationToken.None));
        var windowBefore = await PointInTimeRestore.WindowAsync(repository, CancellationToken.None);
        var samples = await DrMetrics.CollectAsync(new MetricSources { Targets = [sandbox.Target], Repositories = [repository.Root], HistoryRoot = history }, CancellationToken.None);
        var windowAfter = await PointInTimeRestore.WindowAsync(repository, CancellationToken.None);
        var lag = Assert.Single(await ReplicationLagTester.MeasureAsync(sandbox.Target, lagOptions, CancellationToken.None));
        await Sql.ExecuteAsync(sandbox, "node1", "select pg_wal_replay_resume()");

        var cluster = ("target", sandbox.Target.Name);
        // A standby whose replay is paused applies nothing: not healthy, as Get-DbClusterStatus says.
        Assert.Equal(0, Value(samples, "drtools_cluster_healthy", cluster));
        Assert.Equal(1, Value(samples, "drtools_member_role", cluster, ("member", "node0"), ("role", "primary")));
        Assert.Equal(1, Value(samples, "drtools_member_role", cluster, ("member", "node1"), ("role", "standby")));
        var lagBytes = Value(samples, "drtools_replication_lag_bytes", cluster, ("standby", "node1"));
        Assert.True(lagBytes > 100_000, $"lag {lagBytes} bytes");
        Assert.InRange(lagBytes, lagBefore.LagBytes.Measured, lag.LagBytes.Measured);
        Assert.Equal(1, Value(samples, "drtools_backups", ("repository", repository.Root)));
        Assert.InRange(Value(samples, "drtools_backup_latest_age_seconds", ("repository", repository.Root)), 0, 600);
        Assert.Contains(Value(samples, "drtools_backup_recoverable_window_seconds", ("repository", repository.Root)),
            new[] { windowBefore, windowAfter }.Select(w => (w.LatestTime - w.EarliestTime).TotalSeconds));
        Assert.True(Value(samples, "drtools_wal_archived_total", cluster) >= 1);
        var drill = ("drill", "Metrics drill");
        Assert.Equal(1, Value(samples, "drtools_drill_runs_total", drill));
        Assert.Equal(1, Value(samples, "drtools_drill_last_passed", drill));
        Assert.Equal(60, Value(samples, "drtools_drill_rto_target_seconds", drill));
        Assert.InRange(Value(samples, "drtools_drill_since_last_success_seconds", drill), 0, 600);
        Assert.All(samples, s => Assert.Matches("^drtools_[a-z_]+$", s.Name));

        var check = await PromtoolAsync(Exposition.Write(samples));
        Assert.True(check.ExitCode == 0, check.Output);
    }

    [Fact]
    public async Task An_unreachable_cluster_or_repository_is_reported_as_down_and_the_rest_still_is()
    {
        using var root = new TemporaryRoot();
        var target = DbTarget.FromConnectionStrings([$"Host=127.0.0.1;Port={LoopbackPort.Free()};Username=x;Password=secret-password;Timeout=2"]);

        var samples = await DrMetrics.CollectAsync(new MetricSources { Targets = [target], Repositories = [Path.Combine(root.Path, "none")], History = false }, CancellationToken.None);

        Assert.Equal(0, Value(samples, "drtools_cluster_healthy", ("target", target.Name)));
        Assert.Equal(0, Value(samples, "drtools_member_up", ("target", target.Name)));
        Assert.Equal(0, Value(samples, "drtools_backup_repository_up"));
        Assert.Contains(samples, s => s.Name == "drtools_scrape_duration_seconds");
        Assert.DoesNotContain("secret-password", Exposition.Write(samples));
    }

    [Fact]
    public async Task Prometheus_scrapes_the_served_metrics_and_sees_the_lag_the_cluster_has()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        await Sql.ExecuteAsync(sandbox, "node1", "select pg_wal_replay_pause()");
        await Sql.ExecuteAsync(sandbox, "node0", "create table lagging as select g from generate_series(1, 10000) g");
        var lag = Assert.Single(await ReplicationLagTester.MeasureAsync(sandbox.Target, new ReplicationLagOptions(), CancellationToken.None)).LagBytes.Measured;
        using var stop = new CancellationTokenSource();
        var listen = $"127.0.0.1:{LoopbackPort.Free()}";
        var serving = MetricsServer.ServeAsync(listen, new MetricSources { Targets = [sandbox.Target], History = false }, null, TimeSpan.FromSeconds(15), _ => { }, stop.Token);
        try
        {
            using var prometheus = PrometheusServer.Start(listen);
            var seen = await prometheus.QueryAsync($"drtools_replication_lag_bytes{{standby=\"node1\"}}", TimeSpan.FromSeconds(60));
            // Replay is paused, so the lag only grows: by the few bytes of WAL the server writes on its own meanwhile
            // (a running-transactions record every 15 s; a CI run saw 743184 against 743128).
            Assert.InRange(seen, lag, lag + 8192);
            // Replay paused: not healthy (status names the paused standby).
            Assert.Equal(0, await prometheus.QueryAsync("drtools_cluster_healthy", TimeSpan.FromSeconds(10)));
        }
        finally
        {
            stop.Cancel();
            await serving;
            await Sql.ExecuteAsync(sandbox, "node1", "select pg_wal_replay_resume()");
        }
    }

    private static async Task<(int ExitCode, string Output)> PromtoolAsync(string exposition)
    {
        using var promtool = Process.Start(new ProcessStartInfo("promtool", ["check", "metrics"]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true })!;
        await promtool.StandardInput.WriteAsync(exposition);
        promtool.StandardInput.Close();
        var output = await promtool.StandardOutput.ReadToEndAsync() + await promtool.StandardError.ReadToEndAsync();
        await promtool.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return (promtool.ExitCode, output);
    }
}

/// <summary>A real Prometheus (Debian's prometheus package) on a free loopback port, scraping one target every second; stopped on dispose.</summary>
public sealed class PrometheusServer : IDisposable
{
    private static readonly HttpClient Http = new();
    private readonly Process _process;
    private readonly string _folder;

    private PrometheusServer(Process process, string folder, int port) => (_process, _folder, Url) = (process, folder, $"http://127.0.0.1:{port}");

    public string Url { get; }

    public static PrometheusServer Start(string scrapeTarget)
    {
        var folder = Directory.CreateTempSubdirectory("drtools-prometheus-").FullName;
        var port = LoopbackPort.Free();
        File.WriteAllText(Path.Combine(folder, "prometheus.yml"), $"""
            global: {"{"} scrape_interval: 1s, evaluation_interval: 1s {"}"}
            scrape_configs:
              - job_name: drtools
                static_configs: [{"{"} targets: ["{scrapeTarget}"] {"}"}]
            """);
        var process = Process.Start(new ProcessStartInfo("prometheus",
            [$"--config.file={Path.Combine(folder, "prometheus.yml")}", $"--storage.tsdb.path={Path.Combine(folder, "data")}", $"--web.listen-address=127.0.0.1:{port}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return new PrometheusServer(process, folder, port);
    }

    /// <summary>The value of an instant query once it has one, polled until <paramref name="within"/>.</summary>
    public async Task<double> QueryAsync(string query, TimeSpan within)
    {
        double? value = null;
        await Polling.RequireAsync(async () =>
        {
            try
            {
                using var answer = JsonDocument.Parse(await Http.GetStringAsync($"{Url}/api/v1/query?query={Uri.EscapeDataString(query)}"));
                var result = answer.RootElement.GetProperty("data").GetProperty("result");
                if (result.GetArrayLength() == 0) return false;
                value = double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
                return true;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, within, TimeSpan.FromMilliseconds(200), () => $"Prometheus at {Url} had no value for {query} within {within}", CancellationToken.None);
        return value!.Value;
    }

    public void Dispose()
    {
        _process.Kill();
        _process.WaitForExit(TimeSpan.FromSeconds(10));
        _process.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
