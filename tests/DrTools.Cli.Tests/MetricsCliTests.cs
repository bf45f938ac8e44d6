using DrTools.Core;
using DrTools.Core.Sandboxes;
using DrTools.Core.Tests;

namespace DrTools.Cli.Tests;

/// <summary>drtools metrics: printed once, written as a textfile, served until stopped; a bad address refused in one line.</summary>
public sealed class MetricsCliTests
{
    [Fact]
    public async Task Metrics_print_once_write_the_same_textfile_and_are_served_until_Ctrl_C()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var textfile = Path.Combine(root.Path, "drtools.prom");
        var environment = new Dictionary<string, string> { ["DRTOOLS_HISTORY"] = Path.Combine(root.Path, "history") };

        var once = await Drtools.RunAsync(environment, "metrics", "--sandbox", sandbox.Id, "--root", root.Path, "--textfile", textfile);

        Assert.True(once.ExitCode == 0, once.All);
        Assert.Contains($"drtools_member_role{{target=\"sandbox {sandbox.Id}\",member=\"node1\",role=\"standby\"}} 1", once.StandardOutput);
        Assert.Contains("# TYPE drtools_replication_lag_bytes gauge", once.StandardOutput);
        // The scrape duration differs from one collection to the next; everything else was read from an idle cluster.
        static string Stable(string exposition) => string.Join("\n", exposition.Split('\n').Where(l => !l.StartsWith("drtools_scrape_duration_seconds", StringComparison.Ordinal) && !l.Contains("_age_seconds", StringComparison.Ordinal) && !l.Contains("replay_lag", StringComparison.Ordinal)));
        Assert.Equal(Stable(once.StandardOutput), Stable(File.ReadAllText(textfile)));
        Assert.Empty(Directory.GetFiles(root.Path, ".drtools.prom.*"));

        var listen = $"127.0.0.1:{LoopbackPort.Free()}";
        using var serve = Drtools.Start(environment, "metrics", "serve", "--listen", listen, "--sandbox", sandbox.Id, "--root", root.Path);
        using var http = new HttpClient();
        string? scraped = null;
        await Polling.RequireAsync(async () =>
        {
            // Exited (it could not listen, say): said with its own words at once, not after the whole wait.
            if (serve.HasExited) Assert.Fail($"metrics serve exited: {(await Drtools.CompleteAsync(serve, TimeSpan.FromSeconds(5))).All}");
            try
            {
                scraped = await http.GetStringAsync($"http://{listen}/metrics");
                return true;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100), () => "metrics serve never answered", CancellationToken.None);
        Assert.Contains("drtools_cluster_healthy{", scraped);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync($"http://{listen}/other")).StatusCode);

        Drtools.Signal(serve, Drtools.SigInt);
        var stopped = await Drtools.CompleteAsync(serve, TimeSpan.FromSeconds(30));
        Assert.True(stopped.ExitCode == 0, stopped.All);
        Assert.Contains($"serving http://{listen}/metrics", stopped.StandardOutput);
    }

    [Theory]
    [InlineData("nowhere", "drtools: listen address 'nowhere': write it as HOST:PORT with an IP address, e.g. 127.0.0.1:9187.")]
    [InlineData("127.0.0.1:99999", "drtools: listen address '127.0.0.1:99999': write it as HOST:PORT with an IP address, e.g. 127.0.0.1:9187.")]
    public async Task A_bad_listen_address_is_refused_in_one_line(string listen, string expected)
    {
        var result = await Drtools.RunAsync("metrics", "serve", "--listen", listen, "--no-history");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(expected, result.StandardError.Trim());
    }
}
