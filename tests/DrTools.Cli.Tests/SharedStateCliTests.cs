using System.Text.Json;
using DrTools.Core.Processes;
using DrTools.Core.Runbooks;
using DrTools.Core.Sandboxes;
using DrTools.Core.Tests;

namespace DrTools.Cli.Tests;

/// <summary>
/// Files several drtools processes change at once: the drill history and the fault state (the backup catalog's test is in
/// <see cref="FullDiskCliTests"/>). Nothing is lost, nothing is half-written, nothing is left.
/// </summary>
public sealed class SharedStateCliTests
{
    [Fact]
    public async Task Runs_into_one_history_at_once_each_keep_a_whole_folder_and_are_all_counted()
    {
        using var folder = new TemporaryRoot();
        using var runs = new TemporaryRoot();
        var runbook = Drtools.WriteQuickRunbook(folder.Path);
        var history = Path.Combine(folder.Path, "history");
        var environment = new Dictionary<string, string> { ["DRTOOLS_RUNS_ROOT"] = runs.Path, ["DRTOOLS_HISTORY"] = history };
        const int processes = 6;

        var results = await Task.WhenAll(Enumerable.Range(0, processes).Select(_ => Drtools.RunAsync(environment, "run", runbook)));

        Assert.All(results, result => Assert.True(result.ExitCode == 1, result.All));
        var folders = Directory.GetDirectories(history);
        Assert.Equal(processes, folders.Length);
        foreach (var run in folders)
        {
            Assert.Equal(["journal.json", "junit.xml", "nunit.xml", "report.html", "report.md"],
                Directory.GetFileSystemEntries(run).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            var journal = RunJournal.Load(Path.Combine(run, "journal.json"));
            Assert.Equal(RunStatus.Failed, journal.Status);
            Assert.Equal(DrTools.Core.Runbooks.Reports.Report.Render(journal, DrTools.Core.Runbooks.Reports.ReportFormat.Html),
                File.ReadAllText(Path.Combine(run, "report.html")));
        }
        var summary = await Drtools.RunAsync(environment, "history", "--json");
        var entry = JsonDocument.Parse(summary.StandardOutput).RootElement.EnumerateArray().Single();
        Assert.Equal(processes, entry.GetProperty("runs").GetInt32());
        runs.AssertNothingLeft();
    }

    [Fact]
    public async Task Faults_started_and_stopped_at_once_in_one_fault_state_are_each_recorded_and_each_undone()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var environment = new Dictionary<string, string>
        {
            ["DRTOOLS_FAULT_STATE"] = Path.Combine(root.Path, "faults"), ["DRTOOLS_SANDBOX_ROOT"] = root.Path,
        };
        var members = sandbox.Members.Select(m => m.Name).ToList();
        int[] Frozen() =>
            [.. sandbox.Members.SelectMany(m => ProcessTable.FindByWorkingDirectory(m.DataDirectory)).Where(ProcessTable.IsStopped)];
        try
        {
            // Without --duration each command returns with its freeze in effect, recorded in the one fault state.
            var starts = await Task.WhenAll(members.Select(member =>
                Drtools.RunAsync(environment, "fault", "start", "freeze", "--sandbox", sandbox.Id, "--on", member, "--json")));
            Assert.All(starts, start => Assert.True(start.ExitCode == 0, start.All));
            var ids = starts.Select(s => JsonDocument.Parse(s.StandardOutput).RootElement.GetProperty("id").GetString()!).ToList();
            var listed = JsonDocument.Parse((await Drtools.RunAsync(environment, "fault", "list", "--json")).StandardOutput).RootElement;
            Assert.Equal(ids.Order(), listed.EnumerateArray().Select(f => f.GetProperty("id").GetString()).Order());
            Assert.NotEmpty(Frozen());

            var stops = await Task.WhenAll(ids.Select(id => Drtools.RunAsync(environment, "fault", "stop", id)));

            Assert.All(stops, stop => Assert.True(stop.ExitCode == 0, stop.All));
            Assert.Empty(Directory.GetFileSystemEntries(environment["DRTOOLS_FAULT_STATE"]));
            Assert.Empty(Frozen());
            var check = await Drtools.RunAsync(environment, "fault", "check", "--sandbox", sandbox.Id);
            Assert.True(check.ExitCode == 0, check.All);
        }
        finally
        {
            await Drtools.RunAsync(environment, "fault", "stop", "--all");
        }
    }
}
