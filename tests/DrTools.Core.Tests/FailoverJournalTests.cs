using DrTools.Core.Failover;
using DrTools.Core.Runbooks;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

public sealed class FailoverJournalTests
{
    /// <summary>A lone drill's report (Invoke-DbFailover | Export-DrReport) names the servers it ran on, with their version.</summary>
    [Fact]
    public async Task A_lone_drills_journal_records_the_operator_and_its_servers_engine_and_version()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions
        {
            Engine = Engines.StoreEngines.Redis, Standbys = 1, Root = root.Path,
        }, CancellationToken.None);
        var store = (Engines.IReplicaSet)sandbox.Cluster;
        var recovery = Recovery.Observe(Engines.Stores.Recovery(store, null, []), store, sandbox);
        var options = new FailoverOptions { Mode = FailoverMode.Switchover };
        var result = await recovery.RunAsync(await recovery.PlanAsync(options, CancellationToken.None), options, CancellationToken.None);

        var journal = FailoverJournal.From(result, "Dana");

        Assert.Equal(("Dana", "given with --tester / -Tester"), (journal.Tester, journal.TesterSource));
        Assert.Matches(@"^redis \d+\.\d+\.\d+: node0 \(127\.0\.0\.1:\d+\), node1 \(127\.0\.0\.1:\d+\)$",
            journal.Environment!.Servers["db"]);
        Assert.Contains("| Servers | db: redis ", Runbooks.Reports.Report.Render(journal, Runbooks.Reports.ReportFormat.Markdown));
    }

    /// <summary>
    /// A drill that failed after its promotion keeps its timeline in journal.json and report.md: which standby was chosen and
    /// promoted (before, a failed drill's journal had no timeline at all).
    /// </summary>
    [Fact]
    public async Task A_drill_failing_after_its_promotion_records_the_choice_and_promotion_in_its_journal_and_report()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var control = new SandboxControl(sandbox);
        // The rejoin is held for an expected alert that never fires: the drill fails after node1 was promoted.
        var options = new FailoverOptions
        {
            Mode = FailoverMode.Failover, Rejoin = true, CheckIntegrity = false,
            BeforeRejoin = _ => throw new DrToolsException("the expected alert did not fire", DrErrorKind.Timeout),
        };
        var plan = await FailoverDrill.PlanAsync(sandbox.Target, control, options, CancellationToken.None);
        var clock = new MonotonicClock();
        var failure = await Assert.ThrowsAsync<DrToolsException>(
            () => FailoverDrill.RunAsync(plan, control, options, CancellationToken.None));
        Assert.Contains("the expected alert did not fire", failure.Message);

        var journal = FailoverJournal.RecordFailure(failure, plan, clock.StartedAt, clock.Elapsed, Path.Combine(root.Path, "history"),
            "test");

        var saved = RunJournal.Load(Path.Combine(journal.Folder!, "journal.json"));
        var marks = Assert.Single(saved.Steps).Marks;
        Assert.Equal(["fault issued", "fault completed", "standby chosen", "promotion requested", "promotion finished"],
            marks.Select(m => m.Name).Where(n => n is not ("probes started" or "standbys re-pointed")));
        Assert.StartsWith("node1 (127.0.0.1:", Assert.Single(marks, m => m.Name == "standby chosen").Detail);
        Assert.Equal(MarkKind.Fault, Assert.Single(marks, m => m.Name == "fault issued").Kind);
        Assert.Equal(MarkKind.Recovery, Assert.Single(marks, m => m.Name == "promotion finished").Kind);
        var report = File.ReadAllText(Path.Combine(journal.Folder!, "report.md"));
        Assert.Contains("standby chosen: ", report);
        Assert.Contains("promotion finished", report);
    }

    /// <summary>
    /// Why integrity failed (which table differs, and how) is in every report, not only on the console: journal.json,
    /// report.md, the HTML and JUnit reports said "an objective or the integrity check was not met" or "integrity FAIL".
    /// </summary>
    [Fact]
    public async Task A_drill_whose_integrity_fails_says_which_table_differs_in_its_journal_and_every_report()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        await Sql.ExecuteAsync(sandbox, "node0", "create table accounts (id int primary key); insert into accounts values (1), (2)");
        // After the switchover, before the read-back: a row the old primary never had.
        var options = new FailoverOptions
        {
            Mode = FailoverMode.Switchover,
            BeforeProbesStop = _ => Sql.ExecuteAsync(sandbox, "node1", "insert into accounts values (3)"),
        };
        var control = new SandboxControl(sandbox);
        var plan = await FailoverDrill.PlanAsync(sandbox.Target, control, options, CancellationToken.None);
        var result = await FailoverDrill.RunAsync(plan, control, options, CancellationToken.None);
        Assert.Equal("FAIL", result.IntegrityResult);

        var journal = FailoverJournal.From(result);

        const string why = "public.accounts: 2 rows before, 3 after";
        var step = Assert.Single(journal.Steps);
        Assert.Contains(why, step.Message);
        Assert.Contains(why, step.Summary);
        Assert.Contains(journal.Issues, i => i.StartsWith("integrity FAIL: ", StringComparison.Ordinal) && i.Contains(why));
        foreach (var format in new[] { Runbooks.Reports.ReportFormat.Markdown, Runbooks.Reports.ReportFormat.Html,
            Runbooks.Reports.ReportFormat.JUnit })
        {
            Assert.Contains(why, Runbooks.Reports.Report.Render(journal, format));
        }
    }
}
