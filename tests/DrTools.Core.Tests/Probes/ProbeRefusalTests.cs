using DrTools.Core.Engines;
using DrTools.Core.MariaDb;
using DrTools.Core.Probes;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

/// <summary>
/// A write the server refused before running it certainly did not commit: a failed attempt, never an indeterminate one
/// (maybe committed). An independent tester saw 9,600 MariaDB writes to a promoted replica without the probe table
/// recorded as indeterminate ("Table 'drtools.drtools_probe' doesn't exist").
/// </summary>
public sealed class ProbeRefusalTests
{
    [Fact]
    public async Task A_mariadb_write_refused_for_a_missing_probe_table_is_failed_not_indeterminate()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(
            new SandboxOptions { Engine = StoreEngines.MariaDb, Standbys = 0, Root = root.Path }, CancellationToken.None);
        var cluster = (MariaDbCluster)sandbox.Cluster;
        await cluster.PrepareProbeAsync("node0", CancellationToken.None);
        await cluster.Members[0].ExecuteAsync($"drop table {MariaDbCluster.Schema}.{Probe.Table}", CancellationToken.None);
        var options = new ProbeOptions { Rate = 20, Clients = 2 };
        var probe = Probe.Start(ProbeKind.Write, Guid.NewGuid(), cluster.ProbeConnector(ProbeKind.Write, options), options,
            new MonotonicClock());
        await Polling.UntilAsync(() => Task.FromResult(probe.Samples.Count(s => !s.Succeeded) >= 4), TimeSpan.FromSeconds(30),
            TimeSpan.FromMilliseconds(20), CancellationToken.None);
        var samples = await probe.StopAsync();

        var refused = samples.Where(s => !s.Stopped).ToList();
        Assert.True(refused.Count >= 4, string.Join("\n", samples));
        Assert.All(refused, s => Assert.True(!s.Succeeded && !s.Indeterminate && s.Error!.Contains("doesn't exist"), s.ToString()));
    }
}
