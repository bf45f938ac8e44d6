using System.Diagnostics;
using DrTools.Core.Cluster;
using DrTools.Core.Sandboxes;
using DrTools.Core.Tests;

namespace DrTools.Cli.Tests;

/// <summary>The user's fault command is bounded by the drill's phase timeout: it was cut at a fixed 60 s whatever --phase-timeout said.</summary>
public sealed class PhaseTimeoutCliTests
{
    [Fact]
    public async Task A_fault_command_that_outlasts_the_phase_timeout_is_stopped_at_it_and_named()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var marker = Path.Combine(root.Path, "still-running");

        var clock = Stopwatch.StartNew();
        var drill = await Drtools.RunAsync("failover", "--sandbox", sandbox.Id, "--root", root.Path, "--mode", "failover",
            "--phase-timeout", "4s", "--fault-command", $"sleep 90; touch '{marker}'");
        clock.Stop();

        Assert.True(drill.ExitCode != 0, drill.All);
        Assert.Contains("did not finish within 4s (the phase timeout, --phase-timeout / -PhaseTimeout)", drill.StandardError);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(50), $"took {clock.Elapsed}: {drill.All}");
        var status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);
        Assert.Equal("node0", status.Primary?.Name);
        Assert.False(File.Exists(marker));
    }
}
