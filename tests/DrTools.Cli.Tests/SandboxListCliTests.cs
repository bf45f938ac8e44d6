using DrTools.Core.Sandboxes;
using DrTools.Core.Tests;

namespace DrTools.Cli.Tests;

public sealed class SandboxListCliTests
{
    [Fact]
    public async Task Sandbox_list_shows_each_engine_and_topology_and_says_no_sandboxes_when_there_are_none()
    {
        using var root = new TemporaryRoot();
        using var runs = new TemporaryRoot();
        var environment = new Dictionary<string, string> { ["DRTOOLS_RUNS_ROOT"] = runs.Path };

        var empty = await Drtools.RunAsync(environment, "sandbox", "list", "--root", root.Path);
        Assert.True(empty.ExitCode == 0, empty.All);
        Assert.Equal("no sandboxes", empty.StandardOutput.Trim());

        await using var postgres = await Sandbox.CreateAsync(
            new SandboxOptions { Standbys = 1, Synchronous = true, Root = root.Path }, CancellationToken.None);
        await using var redis = await Sandbox.CreateAsync(new SandboxOptions
        {
            Engine = Core.Engines.StoreEngines.Redis, Standbys = 1, Sentinels = true, Root = root.Path,
        }, CancellationToken.None);
        var list = await Drtools.RunAsync(environment, "sandbox", "list", "--root", root.Path);

        Assert.True(list.ExitCode == 0, list.All);
        var lines = list.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches("^ID +ENGINE +TOPOLOGY +STATE +MEMBERS", lines[0]);
        Assert.Matches($"^{postgres.Id} +postgresql +primary \\+ 1 standby, synchronous +running +node0:",
            lines.Single(l => l.StartsWith(postgres.Id, StringComparison.Ordinal)));
        Assert.Matches($"^{redis.Id} +redis +primary \\+ 1 replica, 3 Sentinels +running +node0:",
            lines.Single(l => l.StartsWith(redis.Id, StringComparison.Ordinal)));
        Assert.Equal(3, lines.Length);
    }
}
