using DrTools.Core.Failover;
using DrTools.Core.Probes;
using DrTools.Core.Runbooks;
using DrTools.Core.Sandboxes;
using Npgsql;

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
        var recovery = Recovery.For(store, sandbox, new RecoveryRequest(name => name));
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
    /// A client holding the integrity table locked on the new primary: the check after the drill waited for the command
    /// timeout, blamed the server ("no answer within 10s"), and the drill's probe history was not recorded.
    /// </summary>
    [Fact]
    public async Task A_table_held_locked_after_the_drill_fails_its_check_naming_the_holder_and_the_history_is_kept()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        await Sql.ExecuteAsync(sandbox, "node0", "create table held (i int); insert into held values (1)");
        await using var holder = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(sandbox.ConnectionString(sandbox.Members[1]))
        {
            ApplicationName = "holder",
        }.ConnectionString);
        var control = new SandboxControl(sandbox);
        var options = new FailoverOptions
        {
            Mode = FailoverMode.Failover, Rejoin = true,
            BeforeRejoin = async token =>
            {
                await holder.OpenAsync(token);
                // Two locks on the table (exclusive, then a read's share): one holder.
                await using var hold = new NpgsqlCommand("begin; lock table held in access exclusive mode; select count(*) from held",
                    holder);
                await hold.ExecuteNonQueryAsync(token);
                return "the table is held locked on the new primary";
            },
        };
        var plan = await FailoverDrill.PlanAsync(sandbox.Target, control, options, CancellationToken.None);
        var failure = await Assert.ThrowsAsync<DrToolsException>(() => FailoverDrill.RunAsync(plan, control, options, CancellationToken.None));

        // It waits a second less than the command timeout (Npgsql's 30 s) for the lock, then says why.
        Assert.Matches(@"^node1 \(127\.0\.0\.1:\d+\): the checksum of public\.held waited 29s for a lock on it, held by pid \d+, ", failure.Message);
        Assert.Contains("application 'holder', idle in transaction", failure.Message);
        Assert.Contains("in a transaction since ", failure.Message);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(failure.Message, @"\bpid \d+"));
        Assert.Contains(" UTC. Its rows cannot be read while another transaction holds the table", failure.Message);
        Assert.DoesNotContain("lock table", failure.Message); // another session's SQL, and the values in it, are not printed
        var history = ProbeHistory.CarriedBy(failure);
        Assert.NotNull(history);
        Assert.Contains(history, operation => operation.Process == HistoryOperation.Write && operation.Type == OperationOutcome.Ok);
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

        // A figure that missed a target no objective set (a split brain): an issue too, in the journal and its report
        // (an independent tester's report of a Redis switchover said FAILED over "Issues encountered: none").
        var split = new Measurement("split brain (two members said they were the primary)", 11.089, "s", 0, "each member's role");
        var splitJournal = FailoverJournal.From(result with { Integrity = null, SplitBrainFigures = [split] });
        Assert.Equal(Runbooks.RunStatus.Failed, splitJournal.Status);
        var issue = Assert.Single(splitJournal.Issues);
        Assert.Equal("split brain (two members said they were the primary) not met: 11.089 s (≤ 0 s: NOT met)", issue);
        Assert.Contains(issue, Runbooks.Reports.Report.Render(splitJournal, Runbooks.Reports.ReportFormat.Markdown));
    }
}
