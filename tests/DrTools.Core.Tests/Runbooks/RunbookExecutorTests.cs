using DrTools.Core.Runbooks;

namespace DrTools.Core.Tests;

public sealed class RunbookExecutorTests
{
    /// <summary>A runbook on a sandbox whose second step runs long: what happens to a run stopped in the middle.</summary>
    private static string LongRunbook(string abortConditions = "") => $"""
        name: Long drill
        targets:
          db: {"{"} sandbox: {"{"} standbys: 0 {"}"} {"}"}
        {abortConditions}
        steps:
          - {"{"} name: Seed, run: Invoke-DbQuery, with: {"{"} target: db, query: "create table seeded as select 1 as id" {"}"} {"}"}
          - {"{"} name: Long query, run: Invoke-DbQuery, with: {"{"} target: db, query: "select pg_sleep(60)" {"}"}, timeout: 2m {"}"}
          - {"{"} name: After, run: Get-DbChecksum, with: {"{"} target: db {"}"} {"}"}
        cleanup:
          - {"{"} name: Remove sandbox, run: Remove-DrSandbox, with: {"{"} target: db {"}"} {"}"}
        """;

    [Fact]
    public async Task An_abort_condition_that_trips_mid_run_stops_it_and_cleanup_still_runs()
    {
        using var root = new TemporaryRoot();
        using var history = new TemporaryRoot();
        using var health = new HealthEndpoint();
        // The application turns unhealthy once the long step is under way.
        var observer = new StepObserver(step => { if (step.Name == "Long query") health.Healthy = false; });

        var journal = await RunAsync(LongRunbook($"abortConditions:\n  - {{ name: Application health, http: \"{health.Url}\", interval: 200ms }}"), root, history, observer);

        Assert.Equal(RunStatus.Aborted, journal.Status);
        Assert.Contains("abort condition 'Application health' tripped", journal.AbortReason);
        Assert.Contains("answered 503", journal.AbortReason);
        var steps = journal.Steps.ToDictionary(s => s.Name);
        Assert.Equal(StepStatus.Passed, steps["Seed"].Status);
        Assert.True(steps["Long query"].Status == StepStatus.Aborted, $"{steps["Long query"].Status}: {journal.AbortReason}");
        Assert.True(steps["Long query"].Duration < TimeSpan.FromSeconds(30), $"the long step was not stopped: {steps["Long query"].Duration}");
        Assert.Equal(StepStatus.Skipped, steps["After"].Status);
        Assert.Equal(StepStatus.Passed, steps["Remove sandbox"].Status);
        Assert.Contains("ABORTED", Runbooks.Reports.Report.Render(journal, Runbooks.Reports.ReportFormat.Markdown));
        Assert.Contains("answered 503", Runbooks.Reports.Report.Render(journal, Runbooks.Reports.ReportFormat.Markdown));
        AssertLeftNothing(root, journal);
    }

    [Fact]
    public async Task An_operation_used_as_abort_condition_stops_the_run_when_it_fails()
    {
        using var root = new TemporaryRoot();
        using var history = new TemporaryRoot();
        // The check fails as soon as a table named stop_marker exists; the test creates it while the long step runs.
        const string condition = "abortConditions:\n  - { name: Marker absent, run: Invoke-DbQuery, with: { target: db, query: \"select 1 / (1 - (select count(*) from pg_class where relname = 'stop_marker'))::int\" }, interval: 100ms }";
        Sandboxes.Sandbox? sandbox = null;
        var observer = new StepObserver(step =>
        {
            if (step.Name != "Long query") return;
            sandbox = Sandboxes.Sandbox.List(root.Path).Select(s => Sandboxes.Sandbox.Open(s.Id, root.Path)).Single();
            _ = Sql.ExecuteAsync(sandbox, "node0", "create table stop_marker (id int)");
        });

        var journal = await RunAsync(LongRunbook(condition), root, history, observer);

        Assert.Equal(RunStatus.Aborted, journal.Status);
        Assert.True(journal.AbortReason!.StartsWith("abort condition 'Marker absent' tripped: Invoke-DbQuery: query on node0", StringComparison.Ordinal), journal.AbortReason);
        Assert.Contains("division by zero", journal.AbortReason);
        Assert.True(journal.Steps.Single(s => s.Name == "Long query").Status == StepStatus.Aborted, $"{journal.Steps.Single(s => s.Name == "Long query").Status}: {journal.AbortReason}");
        AssertLeftNothing(root, journal);
    }

    [Fact]
    public async Task A_step_past_its_timeout_is_stopped_and_continueOnError_lets_the_run_go_on()
    {
        using var root = new TemporaryRoot();
        using var history = new TemporaryRoot();
        const string yaml = """
            name: Timeouts
            targets:
              db: { sandbox: { standbys: 0 } }
            steps:
              - { name: Slow but tolerated, run: Invoke-DbQuery, with: { target: db, query: "select pg_sleep(60)" }, timeout: 500ms, continueOnError: true }
              - { name: Slow, run: Invoke-DbQuery, with: { target: db, query: "select pg_sleep(60)" }, timeout: 500ms }
              - { name: Never, run: Invoke-DbQuery, with: { target: db, query: "select 1" } }
            """;

        var journal = await RunAsync(yaml, root, history);

        Assert.Equal([StepStatus.TimedOut, StepStatus.TimedOut, StepStatus.Skipped], journal.Steps.Select(s => s.Status));
        Assert.All(journal.Steps.Take(2), s => Assert.True(s.Duration < TimeSpan.FromSeconds(30), $"{s.Name} ran {s.Duration}"));
        Assert.Equal("timed out after 500ms", journal.Steps[1].Message);
        Assert.Equal(RunStatus.Failed, journal.Status);
        Assert.Contains(journal.Issues, i => i.EndsWith("(continueOnError: the run went on)", StringComparison.Ordinal));
        AssertLeftNothing(root, journal);
    }

    [Fact]
    public async Task A_cancelled_run_runs_cleanup_leaves_nothing_and_its_journal_records_the_abort()
    {
        using var root = new TemporaryRoot();
        using var history = new TemporaryRoot();
        using var cancellation = new CancellationTokenSource();
        var observer = new StepObserver(step => { if (step.Name == "Long query") cancellation.CancelAfter(TimeSpan.FromMilliseconds(300)); });

        var journal = await RunAsync(LongRunbook(), root, history, observer, cancellation.Token);

        Assert.Equal(RunStatus.Cancelled, journal.Status);
        var onDisk = RunJournal.Load(Path.Combine(journal.Folder!, "journal.json"));
        Assert.Equal(RunStatus.Cancelled, onDisk.Status);
        Assert.Contains("cancelled", onDisk.AbortReason);
        Assert.NotNull(onDisk.AbortedAt);
        Assert.Equal(StepStatus.Cancelled, onDisk.Steps.Single(s => s.Name == "Long query").Status);
        Assert.Equal(StepStatus.Passed, onDisk.Steps.Single(s => s.Name == "Remove sandbox").Status);
        AssertLeftNothing(root, journal);
    }

    [Fact]
    public async Task A_run_cancelled_while_its_sandbox_is_created_is_recorded_against_its_target()
    {
        using var root = new TemporaryRoot();
        using var history = new TemporaryRoot();
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(400));

        var journal = await RunAsync(LongRunbook(), root, history, null, cancellation.Token);

        Assert.Equal(RunStatus.Cancelled, journal.Status);
        Assert.StartsWith("db: sandbox, 0 standby(s), asynchronous", journal.TargetSummary);
        var entry = Assert.Single(DrillHistory.Summarize(DrillHistory.Runs(history.Path)));
        Assert.StartsWith("db: sandbox, 0 standby(s)", entry.Target);
        AssertLeftNothing(root, journal);
    }

    [Fact]
    public async Task A_failed_pre_check_changes_nothing_and_the_run_fails_naming_it()
    {
        using var root = new TemporaryRoot();
        using var history = new TemporaryRoot();
        const string yaml = """
            name: Guarded drill
            targets:
              db: { sandbox: { standbys: 0 } }
            preChecks:
              - { name: Orders table present, run: Invoke-DbQuery, with: { target: db, query: "select count(*) from orders" } }
            steps:
              - { name: Change, run: Invoke-DbQuery, with: { target: db, query: "create table changed (id int)" } }
            """;

        var journal = await RunAsync(yaml, root, history);

        Assert.Equal(RunStatus.Failed, journal.Status);
        Assert.Equal(StepStatus.Failed, journal.Steps[0].Status);
        Assert.Contains("relation \"orders\" does not exist", journal.Steps[0].Message);
        Assert.Equal(StepStatus.Skipped, journal.Steps[1].Status);
        Assert.Contains("nothing was changed", journal.Steps[1].Message);
        Assert.Contains(journal.Issues, i => i.StartsWith("pre-check 1: Orders table present", StringComparison.Ordinal));
        // No cleanup step: the run removes the sandbox it created all the same.
        Assert.Contains(journal.CleanupActions, a => a.StartsWith("removed sandbox", StringComparison.Ordinal));
        AssertLeftNothing(root, journal);
    }

    [Fact]
    public async Task Saved_results_feed_later_steps_and_the_history_summarizes_runs()
    {
        using var root = new TemporaryRoot();
        using var history = new TemporaryRoot();
        const string yaml = """
            name: Variables drill
            objectives: { rto: 30s }
            targets:
              db: { sandbox: { standbys: 0 } }
            steps:
              - { name: Count, run: Invoke-DbQuery, with: { target: db, query: "select 1000 + 500" }, save: total }
              - { name: Use it, run: Invoke-DbQuery, with: { target: db, query: "select ${total.value} * 2" }, save: doubled, objective: rto }
            """;
        var first = await RunAsync(yaml, root, history);
        var second = await RunAsync(yaml, root, history);

        Assert.Equal(RunStatus.Passed, first.Status);
        Assert.Contains("first value 3000", first.Steps[1].Summary);
        var rto = first.Objectives.Single();
        Assert.Equal(first.Steps[1].Duration!.Value.TotalSeconds, rto.Measurement!.Measured, 6);
        Assert.True(rto.Met);
        var entry = Assert.Single(DrillHistory.Summarize(DrillHistory.Runs(history.Path)));
        Assert.Equal(("Variables drill", 2, 2, RunStatus.Passed), (entry.Drill, entry.Runs, entry.Passed, entry.LastResult));
        Assert.Equal((first.Objectives[0].Measurement!.Measured + second.Objectives[0].Measurement!.Measured) / 2, entry.MeanTimeToRecoverSeconds!.Value, 6);
        Assert.StartsWith("db: sandbox, 0 standby(s)", entry.Target);
        AssertLeftNothing(root, first);
    }

    [Fact]
    public async Task AllowDrill_on_a_target_of_another_engine_given_by_connection_strings_allows_its_drill()
    {
        // Was refused "not allowed for drills": the runbook's permission named the connection strings, not the members.
        using var root = new TemporaryRoot();
        using var history = new TemporaryRoot();
        await using var sandbox = await RedisTests.CreateAsync(root, replicas: 1);
        var addresses = string.Join(", ", sandbox.Members.Select(m => $"\"{Redis.RedisEngine.Address(sandbox, m)}\""));
        var yaml = $$"""
            name: Allowed drill
            targets:
              db: { engine: redis, connection: [{{addresses}}], allowDrill: true }
            steps:
              - { run: Invoke-DbFailover, with: { target: db, mode: Switchover, skipIntegrity: true } }
            """;
        var journal = await RunbookExecutor.RunAsync(RunbookParser.Parse(yaml, "allowed.yml"),
            new RunbookRunOptions { HistoryRoot = history.Path }, CancellationToken.None);
        Assert.True(journal.Steps[0].Status == StepStatus.Passed, journal.Steps[0].ToString());
        Assert.EndsWith("(allowed for drills by the runbook)", journal.Targets["db"]);
    }

    [Fact]
    public async Task A_password_in_a_runbook_never_reaches_the_journal_or_the_reports()
    {
        using var history = new TemporaryRoot();
        var port = LoopbackPort.Free(); // nothing listens there
        var unreachable = $$"""
            name: Secret drill
            targets:
              db: { connection: "Host=127.0.0.1,127.0.0.2;Port={{port}};Username=dr;Password=Sup3rSecret;Timeout=2", allowDrill: true }
            preChecks:
              - { run: Get-DbClusterStatus, with: { target: db } }
            steps:
              - { run: Invoke-DbFailover, with: { target: db, mode: Failover } }
            """;
        const string malformed = "name: Secret drill\ntargets:\n  db: { connection: \"Host=127.0.0.1;Port=abc;Password=Sup3rSecret\" }\nsteps:\n  - { run: Get-DbClusterStatus, with: { target: db } }\n";

        var first = await RunbookExecutor.RunAsync(RunbookParser.Parse(unreachable, "secret.yml"), new RunbookRunOptions { HistoryRoot = history.Path }, CancellationToken.None);
        // A connection string that cannot be read is refused when the runbook is read (before, when its target was set up).
        var refused = Assert.Throws<RunbookInvalidException>(() => RunbookParser.Parse(malformed, "secret.yml"));

        Assert.Equal($"127.0.0.1:{port},127.0.0.2:{port} (allowed for drills by the runbook)", first.Targets["db"]);
        Assert.Equal(StepStatus.Failed, first.Steps[0].Status);
        Assert.Contains("unreachable", first.Steps[0].Message);
        Assert.Equal(StepStatus.Skipped, first.Steps[1].Status);
        Assert.Contains("secret.yml:3:", refused.Message);
        Assert.Contains("member #1: invalid connection string", refused.Message);
        Assert.DoesNotContain("Sup3rSecret", refused.Message);
        foreach (var file in Directory.GetFiles(history.Path, "*", SearchOption.AllDirectories)) Assert.DoesNotContain("Sup3rSecret", File.ReadAllText(file));
    }

    internal static Task<RunJournal> RunAsync(string yaml, TemporaryRoot root, TemporaryRoot history, IRunObserver? observer = null, CancellationToken cancellationToken = default) =>
        RunbookExecutor.RunAsync(RunbookParser.Parse(yaml, "test.yml"), new RunbookRunOptions { SandboxRoot = root.Path, HistoryRoot = history.Path, Observer = observer }, cancellationToken);

    internal static void AssertLeftNothing(TemporaryRoot root, RunJournal journal)
    {
        root.AssertNothingLeft();
        Assert.False(Directory.Exists(journal.ScratchDirectory), $"scratch folder {journal.ScratchDirectory} was left");
    }
}
