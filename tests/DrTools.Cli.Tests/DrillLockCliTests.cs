using DrTools.Core.Cluster;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;
using DrTools.Core.Tests;

namespace DrTools.Cli.Tests;

/// <summary>
/// One drill at a time per sandbox: two at once made a split brain (one restarted the old primary after the other promoted).
/// </summary>
public sealed class DrillLockCliTests
{
    private static string Refusal(Sandbox sandbox, System.Diagnostics.Process holder) =>
        $"drtools: drill on sandbox {sandbox.Id} refused: another drill holds it (pid {holder.Id} (";

    [Fact]
    public async Task Two_failovers_started_at_once_run_one_refuse_the_other_naming_it_and_leave_one_primary()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        // The fault waits until the other process has ended before it kills the primary: the drill that holds the sandbox
        // still holds it when the other is up, however slowly a loaded machine starts it (with a fixed 10 s wait, one
        // started after the other's drill had ended, and both ran).
        var postmaster = Path.Combine(sandbox.Members[0].DataDirectory, "postmaster.pid");
        var otherEnded = Path.Combine(root.Path, "other-ended");
        string[] drill = ["failover", "--sandbox", sandbox.Id, "--root", root.Path, "--mode", "failover", "--rejoin",
            "--fault-command",
            $"for i in $(seq 1200); do [ -e '{otherEnded}' ] && break; sleep 0.1; done; kill -9 $(head -1 '{postmaster}')"];

        using var first = Drtools.Start(drill);
        using var second = Drtools.Start(drill);
        Task<CliResult>[] completions =
            [Drtools.CompleteAsync(first, TimeSpan.FromSeconds(240)), Drtools.CompleteAsync(second, TimeSpan.FromSeconds(240))];
        await Task.WhenAny(completions);
        await File.WriteAllTextAsync(otherEnded, "");
        var results = await Task.WhenAll(completions);

        var all = string.Join("\n---\n", results.Select(r => $"exit {r.ExitCode}: {r.All}"));
        var refused = Assert.Single(results, r => r.ExitCode == 2);
        var ran = Assert.Single(results, r => r.ExitCode != 2);
        Assert.True(ran.ExitCode == 0, all);
        var holder = ReferenceEquals(refused, results[0]) ? second : first;
        Assert.True(refused.StandardError.StartsWith(Refusal(sandbox, holder), StringComparison.Ordinal), all);
        Assert.Contains("One drill at a time per target; nothing was changed.", refused.StandardError);
        Assert.Single(refused.StandardError.TrimEnd().Split('\n'));
        var status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);
        Assert.True(status.Healthy, status.Verdict + "\n" + all);
        Assert.Single(status.Members, m => m.Role == MemberRole.Primary);
    }

    [Fact]
    public async Task A_drill_holding_the_sandbox_is_named_to_the_next_and_its_lock_dies_with_it_under_SIGKILL()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        // The "fault" only says it started and waits: the drill holds the lock in its fault phase, the cluster untouched.
        var started = Path.Combine(root.Path, "fault-started");
        using var holder = Drtools.Start("failover", "--sandbox", sandbox.Id, "--root", root.Path, "--mode", "failover", "--no-integrity",
            "--fault-command", $"echo $$ > '{started}.tmp' && mv '{started}.tmp' '{started}' && exec sleep 120");
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!File.Exists(started))
        {
            Assert.True(DateTime.UtcNow < deadline && !holder.HasExited, "the holding drill never reached its fault");
            await Task.Delay(20);
        }
        var sleeper = int.Parse(File.ReadAllText(started).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            var refused = await Drtools.RunAsync("failover", "--sandbox", sandbox.Id, "--root", root.Path, "--mode", "switchover");
            Assert.Equal(2, refused.ExitCode);
            Assert.StartsWith(Refusal(sandbox, holder), refused.StandardError);
            Assert.Contains("Failover: fail primary node0", refused.StandardError);

            Drtools.Signal(holder, Drtools.SigKill);
            await Drtools.CompleteAsync(holder, TimeSpan.FromSeconds(60));
        }
        finally
        {
            ProcessTable.Signal(sleeper, Drtools.SigKill);
        }

        var next = await Drtools.RunAsync("failover", "--sandbox", sandbox.Id, "--root", root.Path, "--mode", "switchover");
        Assert.True(next.ExitCode == 0, next.All);
        var status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);
        Assert.True(status.Healthy, status.Verdict);
        Assert.Equal("node1", status.Primary!.Name);
    }
}
