using System.Globalization;
using DrTools.Core;
using DrTools.Core.Runbooks;
using DrTools.Core.Tests;

namespace DrTools.Cli.Tests;

public sealed class RunbookCliTests
{
    private static string Shipped(string name) => Path.Combine(Drtools.RepositoryRoot, "runbooks", name);

    /// <summary>The lines of the steps that failed, then the whole output: a CI summary shows a failure's first lines.</summary>
    private static string FailedStepsFirst(string output) =>
        string.Join('\n', output.Split('\n').Where(l => l.Contains(": FAILED in ", StringComparison.Ordinal))) + "\n" + output;

    [Theory]
    [InlineData("postgres-failover.yml")]
    [InlineData("postgres-pitr.yml")]
    [InlineData("backup-verification.yml")]
    [InlineData("patroni-failover.yml")]
    [InlineData("network-partition.yml")]
    public async Task Every_shipped_runbook_runs_green_and_its_reports_show_the_measured_figures(string name)
    {
        using var root = new TemporaryRoot();
        using var history = new TemporaryRoot();
        var result = await Drtools.RunAsync(TimeSpan.FromMinutes(5), "run", Shipped(name), "--history", history.Path, "--root", root.Path);

        Assert.True(result.ExitCode == 0, FailedStepsFirst(result.All));
        // Live progress: a line as each step starts and as it ends, on the run's clock.
        Assert.Matches(@"\+\d+(\.\d+)? s pre-check 1: Cluster healthy \(Get-DbClusterStatus\) \.\.\.\n", result.StandardOutput);
        Assert.Matches(@"\+\d+(\.\d+)? s cleanup 1: Remove sandbox: PASS in \d", result.StandardOutput);
        var journal = LoadOnlyJournal(history);
        Assert.Equal(RunStatus.Passed, journal.Status);
        Assert.All(journal.Steps, s => Assert.Equal(StepStatus.Passed, s.Status));
        var markdown = File.ReadAllText(Path.Combine(journal.Folder!, "report.md"));
        Assert.Contains($"# {journal.Runbook}: PASSED", markdown);
        foreach (var objective in journal.Objectives)
        {
            // The objective is the figure its step measured (e.g. the failover's client-observed write unavailability) ...
            var step = Assert.Single(journal.Steps, s => s.Objectives.Contains(objective.Name));
            var figure = Assert.Single(step.Measurements, m => objective.Measurement!.Method.Contains($"{m.Name} = ", StringComparison.Ordinal));
            Assert.Equal(figure.Measured, objective.Measurement!.Measured);
            Assert.True(objective.Met);
            // ... and the report shows that number, with its target and method.
            var value = Measurement.Format(figure.Measured);
            var target = objective.Target.ToString(CultureInfo.InvariantCulture);
            Assert.Contains($"| {objective.Measurement.Name} | ≤ {target} s | {value} s | yes |", markdown);
        }
        Assert.DoesNotContain("<failure", File.ReadAllText(Path.Combine(journal.Folder!, "junit.xml")));
        root.AssertNothingLeft();
        Assert.False(Directory.Exists(journal.ScratchDirectory));
        if (name == "postgres-failover.yml") await AssertTimelineRendersAsync(journal);
        if (name == "patroni-failover.yml")
        {
            // What Patroni did is on the timeline beside the client-observed outage.
            var html = File.ReadAllText(Path.Combine(journal.Folder!, "report.html"));
            foreach (var patroniEvent in new[] { "Patroni noticed", "Patroni elected a leader", "HAProxy routes writes to the new leader" }) Assert.Matches($"<line class=\"event\"[^>]*><title>{System.Text.RegularExpressions.Regex.Escape(patroniEvent)}", html);
            Assert.Contains("write outage seen by clients", html);
            Assert.Contains(journal.Steps.Single(s => s.Operation == "Invoke-DbFailover").Measurements, m => m.Name == "detection time");
        }
        if (name == "network-partition.yml")
        {
            // The standby's partition is a band beside the steps it spans; the primary's, the drill's fault.
            var html = File.ReadAllText(Path.Combine(journal.Folder!, "report.html"));
            Assert.Matches("<rect class=\"fault-active\"[^>]*><title>fault in effect: Partition of node1", html);
            Assert.Contains("fault issued: Partition of node0", html);
            Assert.Equal("no fault left: none recorded, no nftables table of DrTools, no cgroup label, no frozen process, no proxy toxic, no disk filler", journal.Steps.Last(s => s.Operation == "Test-DrFault").Summary);
        }
    }

    /// <summary>The HTML report's chart, as Chromium lays it out: a bar per step that ran, the fault, the outage band.</summary>
    private static async Task AssertTimelineRendersAsync(RunJournal journal)
    {
        await using var browser = await HeadlessChromium.OpenAsync(Path.Combine(journal.Folder!, "report.html"));
        var chart = await browser.EvaluateAsync("""
            (() => {
              const svg = document.querySelector('svg.timeline');
              const widths = selector => [...svg.querySelectorAll(selector)].map(e => e.getBoundingClientRect().width);
              return { height: svg.getBoundingClientRect().height, steps: widths('rect.step'), outages: widths('rect.outage'),
                       faults: svg.querySelectorAll('line.fault').length, recoveries: svg.querySelectorAll('line.recovery').length };
            })()
            """);
        Assert.True(chart.GetProperty("height").GetDouble() > 100, chart.ToString());
        var bars = chart.GetProperty("steps").EnumerateArray().Select(w => w.GetDouble()).ToList();
        Assert.Equal(journal.Steps.Count, bars.Count);
        // The 2 px least width, as the browser lays it out (1.99993896484375 once: its single-precision layout).
        Assert.All(bars, width => Assert.True(width >= 1.999, chart.ToString()));
        Assert.True(chart.GetProperty("outages").EnumerateArray().Single().GetDouble() >= 1.999, chart.ToString());
        Assert.Equal(1, chart.GetProperty("faults").GetInt32());
        Assert.True(chart.GetProperty("recoveries").GetInt32() >= 1, chart.ToString());
    }

    [Fact]
    public async Task A_failing_step_fails_the_run_naming_it_cleanup_runs_and_JUnit_has_the_failure()
    {
        using var root = new TemporaryRoot();
        using var history = new TemporaryRoot();
        var file = Path.Combine(history.Path, "failing.yml");
        File.WriteAllText(file, """
            name: Failing drill
            targets:
              db: { sandbox: { standbys: 1 } }
            steps:
              - { name: Seed, run: Invoke-DbQuery, with: { target: db, query: "create table seeded as select 1 as id" } }
              - { name: Break, run: Invoke-DbQuery, with: { target: db, query: "select 1/0" }, remediation: Fix the query. }
              - { name: Never, run: Get-DbChecksum, with: { target: db } }
            cleanup:
              - { name: Remove sandbox, run: Remove-DrSandbox, with: { target: db } }
            """);

        var result = await Drtools.RunAsync(TimeSpan.FromMinutes(2), "run", file, "--history", Path.Combine(history.Path, "runs"), "--root", root.Path);

        Assert.True(result.ExitCode == 1, result.All);
        Assert.Contains("Failing drill: FAILED", result.StandardOutput);
        var journal = LoadOnlyJournal(history);
        var markdown = File.ReadAllText(Path.Combine(journal.Folder!, "report.md"));
        Assert.Contains("| Result | FAILED |", markdown);
        Assert.Contains("| step 2 | Break | Invoke-DbQuery |", markdown);
        Assert.Contains("step 2: Break (Invoke-DbQuery) failed: query on node0 (127.0.0.1:", markdown);
        Assert.Contains("division by zero", markdown);
        Assert.Contains("step 2: Break: Fix the query.", markdown);
        Assert.Contains("| step 3 | Never | Get-DbChecksum | - | - | skipped |", markdown);
        Assert.Contains("| cleanup 1 | Remove sandbox | Remove-DrSandbox |", markdown);
        var junit = System.Xml.Linq.XDocument.Load(Path.Combine(journal.Folder!, "junit.xml"));
        var failure = Assert.Single(junit.Descendants("failure"));
        Assert.Equal("2: Break", failure.Parent!.Attribute("name")!.Value);
        Assert.Contains("division by zero", failure.Attribute("message")!.Value);
        Assert.Equal("1", junit.Root!.Attribute("failures")!.Value);
        root.AssertNothingLeft();
    }

    [Fact]
    public async Task Ctrl_C_mid_run_runs_cleanup_leaves_nothing_and_the_journal_records_the_abort()
    {
        using var root = new TemporaryRoot();
        using var history = new TemporaryRoot();
        var file = Drtools.WriteLongRunbook(history.Path, "Long drill");
        var runs = Path.Combine(history.Path, "runs");
        using var process = Drtools.Start("run", file, "--history", runs, "--root", root.Path);
        await Drtools.WaitForFirstStepAsync(runs);

        Drtools.Signal(process, Drtools.SigInt);
        var result = await Drtools.CompleteAsync(process, TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 130, result.All);
        var journal = Drtools.OnlyJournal(runs)!;
        Assert.Equal(RunStatus.Cancelled, journal.Status);
        Assert.Equal(StepStatus.Cancelled, journal.Steps[0].Status);
        Assert.Equal(StepStatus.Passed, journal.Steps[1].Status);
        Assert.Contains("cancelled", journal.AbortReason);
        root.AssertNothingLeft();
        Assert.False(Directory.Exists(journal.ScratchDirectory));
    }

    [Theory]
    [InlineData("name: x\nsteps:\n  - { run: Get-DbChecksum, with: { target: db }\n", "bad.yml:4:1: ")]
    [InlineData("name: x\ntargets: { db: { sandbox: {} } }\nsteps:\n  - { run: Invoke-DbFailure, with: { target: db } }\n", "bad.yml:4:12: step 1 'Invoke-DbFailure': unknown operation 'Invoke-DbFailure'")]
    [InlineData("name: x\ntargets: { db: { sandbox: {} } }\nsteps:\n  - { run: Test-ReplicationLag, with: { target: db, heartbeat: maybe } }\n", "bad.yml:4:64: step 1 'Test-ReplicationLag' heartbeat: 'maybe' is not true or false.")]
    [InlineData("name: x\ntargets: { db: { sandbox: {} } }\nsteps:\n  - { run: Compare-DbChecksum, with: { target: db, reference: \"${before}\" } }\n", "bad.yml:4:63: step 1 'Compare-DbChecksum' reference: variable ${before} is not defined here")]
    public async Task A_malformed_runbook_gives_one_clear_error_with_line_and_column_and_nothing_runs(string yaml, string error)
    {
        using var folder = new TemporaryRoot();
        var file = Path.Combine(folder.Path, "bad.yml");
        File.WriteAllText(file, yaml);
        var runs = Path.Combine(folder.Path, "runs");

        foreach (var command in new[] { new[] { "validate", file }, ["run", file, "--history", runs] })
        {
            var result = await Drtools.RunAsync(TimeSpan.FromSeconds(60), command);
            Assert.True(result.ExitCode == 2, result.All);
            var line = Assert.Single(result.StandardError.Trim().Split('\n'));
            Assert.StartsWith($"drtools: {Path.Combine(folder.Path, error)}", line);
            Assert.DoesNotContain("   at ", result.All);
        }
        Assert.False(Directory.Exists(runs), "a run started");
    }

    internal static RunJournal LoadOnlyJournal(TemporaryRoot history) =>
        RunJournal.Load(Assert.Single(Directory.GetFiles(history.Path, "journal.json", SearchOption.AllDirectories)));
}
