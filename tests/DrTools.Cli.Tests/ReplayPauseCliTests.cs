using DrTools.Core.Cluster;
using DrTools.Core.Sandboxes;
using DrTools.Core.Tests;

namespace DrTools.Cli.Tests;

/// <summary>
/// A backup reads its reference on a standby whose WAL replay it pauses; PostgreSQL keeps the pause after the backup's
/// session is gone. A backup killed there left the standby frozen while status said healthy.
/// </summary>
public sealed class ReplayPauseCliTests
{
    [Fact]
    public async Task A_backup_killed_while_its_reference_pauses_a_standby_leaves_a_status_problem_and_a_fault_that_is_resumed()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var repository = Path.Combine(root.Path, "repository");
        var environment = new Dictionary<string, string> { ["DRTOOLS_FAULT_STATE"] = Path.Combine(root.Path, "faults") };
        string[] sandboxArgs = ["--sandbox", sandbox.Id, "--root", root.Path, "--repository", repository];
        var archive = await Drtools.RunAsync(environment, ["backup", "archive", .. sandboxArgs]);
        Assert.True(archive.ExitCode == 0, archive.All);
        // Enough rows that the reference takes a while to read: the kill lands while replay is paused.
        await Sql.ExecuteAsync(sandbox, "node0",
            "create table ledger as select g as id, md5(g::text) as note from generate_series(1, 1000000) g");
        var standby = sandbox.Target.Member("node1");
        Task<bool> Paused() => standby.QueryAsync("select pg_is_wal_replay_paused()", r => r.GetBoolean(0), CancellationToken.None);

        async Task KillDuringTheReferenceAsync()
        {
            using var backup = Drtools.Start(environment, ["backup", "create", .. sandboxArgs]);
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (!await Paused())
            {
                Assert.True(DateTime.UtcNow < deadline && !backup.HasExited, "the backup never paused the standby's replay");
                await Task.Delay(5);
            }
            Drtools.Signal(backup, Drtools.SigKill);
            await Drtools.CompleteAsync(backup, TimeSpan.FromSeconds(60));
            Assert.True(await Paused(), "the kill came after the backup resumed replay");
        }

        await KillDuringTheReferenceAsync();
        var status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);
        Assert.False(status.Healthy, "status said healthy with node1's replay paused");
        Assert.Contains(status.Problems, p => p.StartsWith($"standby {standby.Display} has its WAL replay paused", StringComparison.Ordinal));
        var faults = await Drtools.RunAsync(environment, "fault", "list", "--json");
        Assert.Contains("WAL replay paused, resumed on undo, for backup ", faults.StandardOutput);
        var stop = await Drtools.RunAsync(environment, "fault", "stop", "--all");
        Assert.True(stop.ExitCode == 0, stop.All);
        Assert.False(await Paused(), stop.All);
        status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);
        Assert.True(status.Healthy, status.Verdict);

        // The next backup after a killed one resumes the pause that one recorded and reads its reference there (it waited
        // 60 s on that standby's replay and failed).
        await KillDuringTheReferenceAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var next = await Drtools.RunAsync(environment, ["backup", "create", .. sandboxArgs, "--json"]);
        Assert.True(next.ExitCode == 0, next.All);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(45), $"took {clock.Elapsed}");
        Assert.Contains($"read on standby {standby.Display} with WAL replay paused at ", next.StandardOutput);
        Assert.False(await Paused());
        Assert.Equal("[]", (await Drtools.RunAsync(environment, "fault", "list", "--json")).StandardOutput.Trim());

        // A pause no backup recorded is not a backup's to resume: without another standby, no reference (one read on the
        // primary under writes failed sound backups' verification), saying why.
        await Sql.ExecuteAsync(sandbox, "node1", "select pg_wal_replay_pause()");
        var unpaused = await Drtools.RunAsync(environment, ["backup", "create", .. sandboxArgs, "--json"]);
        Assert.True(unpaused.ExitCode == 0, unpaused.All);
        Assert.Contains($"no reference: the replay of {standby.Display} is paused and no backup holds it", unpaused.StandardOutput);
        Assert.True(await Paused());
        await Sql.ExecuteAsync(sandbox, "node1", "select pg_wal_replay_resume()");
    }
}
