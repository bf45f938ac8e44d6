using System.Text.Json;
using System.Text.Json.Nodes;
using DrTools.Core.Engines;
using DrTools.Core.Probes;
using DrTools.Core.Runbooks;
using DrTools.Core.Sandboxes;
using DrTools.Core.Tests;

namespace DrTools.Cli.Tests;

/// <summary>drtools history check: a drill's stored history re-checked by anyone, from the file alone.</summary>
public sealed class HistoryCliTests
{
    [Fact]
    public async Task History_check_reproduces_the_journal_and_a_lost_write_added_by_hand_turns_the_verdict_to_FAIL()
    {
        using var root = new TemporaryRoot();
        using var history = new TemporaryRoot();
        var runbook = Path.Combine(history.Path, "drill.yml");
        File.WriteAllText(runbook, """
            name: History check drill
            targets:
              db: { sandbox: { standbys: 1, synchronous: true } }
            steps:
              - { name: Fail over, run: Invoke-DbFailover, with: { target: db, mode: Failover, skipIntegrity: true } }
            cleanup:
              - { name: Remove sandbox, run: Remove-DrSandbox, with: { target: db } }
            """);
        var runs = Path.Combine(history.Path, "runs");
        var artifacts = Path.Combine(history.Path, "artifacts");
        var run = await Drtools.RunAsync(TimeSpan.FromMinutes(5), "run", runbook, "--history", runs, "--root", root.Path,
            "--report-dir", artifacts);
        Assert.True(run.ExitCode == 0, run.All);
        var journal = Drtools.OnlyJournal(runs)!;
        var file = Path.Combine(journal.Folder!, "history.jsonl");
        // The artifacts can be re-checked as the run's folder can.
        var copied = await Drtools.RunAsync("history", "check", artifacts);
        Assert.True(copied.ExitCode == 0, copied.All);

        var check = await Drtools.RunAsync("history", "check", journal.Folder!);
        Assert.True(check.ExitCode == 0, check.All);
        Assert.Contains("lost: 0", check.StandardOutput);
        var journalFile = Path.Combine(journal.Folder!, "journal.json");
        // The outages, the longest write gap and error rate beside the window, both losses, split brain, stale reads and
        // six latency percentiles.
        Assert.Contains($"the 14 figure(s) of {journalFile} agree with the history", check.StandardOutput);
        Assert.EndsWith("verdict: PASS", check.StandardOutput.Trim());
        var drill = journal.Steps.Single(s => s.Drill is not null).Drill;

        // A drill the journal failed on what the history does not hold (its integrity check, as an independent tester's
        // was, with a writer of their own in the table): never a PASS here, and said why.
        var passed = File.ReadAllText(journalFile);
        var failed = JsonNode.Parse(passed)!;
        var step = failed["steps"]!.AsArray().Single(s => (string?)s!["drill"] == drill)!;
        step["status"] = "failed";
        step["message"] = "integrity: FAIL: public.app: 220 rows before, 320 after";
        File.WriteAllText(journalFile, failed.ToJsonString());
        check = await Drtools.RunAsync("history", "check", journal.Folder!);
        Assert.True(check.ExitCode == 1, check.All);
        Assert.Contains($"FAILED in the journal, on what the history does not hold (not re-checked here): drill {drill}: ",
            check.StandardOutput);
        Assert.Contains("integrity: FAIL: public.app: 220 rows before, 320 after", check.StandardOutput);
        Assert.EndsWith("verdict: FAIL", check.StandardOutput.Trim());
        File.WriteAllText(journalFile, passed);

        // A write acknowledged by the server that the final read does not have: lost, whatever the journal said.
        var lines = File.ReadAllLines(file);
        var acknowledged = lines.Select(l => JsonNode.Parse(l)!).Where(o => (string?)o["f"] == "write" && (string?)o["type"] == "ok")
            .ToList();
        var added = acknowledged[^1].DeepClone();
        added["value"] = acknowledged.Max(o => (long)o["value"]!) + 1000;
        File.WriteAllLines(file, [.. lines, added.ToJsonString()]);
        check = await Drtools.RunAsync("history", "check", file);
        Assert.True(check.ExitCode == 1, check.All);
        Assert.Contains("lost: 1 (", check.StandardOutput);
        Assert.Contains($"DISAGREES with the journal: drill {drill}: lost acknowledged writes: journal 0, history 1", check.StandardOutput);
        Assert.EndsWith("verdict: FAIL", check.StandardOutput.Trim());

        // A line that is not an operation: one line naming the file and the line, exit 2.
        File.WriteAllLines(file, [lines[0], lines[1], "{\"drill\": \"x\", \"f\": \"write\"", .. lines[2..]]);
        check = await Drtools.RunAsync("history", "check", journal.Folder!);
        Assert.True(check.ExitCode == 2, check.All);
        Assert.StartsWith($"drtools: {file}:3: not a history operation", Assert.Single(check.StandardError.Trim().Split('\n')));
        // Every line an operation, but the drill's final read is gone: the file is named with what it lacks.
        File.WriteAllLines(file, lines.Where(l => !l.Contains("\"f\":\"final-read\"", StringComparison.Ordinal)));
        check = await Drtools.RunAsync("history", "check", file);
        Assert.True(check.ExitCode == 2, check.All);
        Assert.Equal($"drtools: {file}: drill {drill}: the history needs exactly one final-read line, it has 0.",
            check.StandardError.Trim());
        check = await Drtools.RunAsync("history", "check", Path.Combine(history.Path, "none"));
        Assert.True(check.ExitCode == 2, check.All);
        Assert.Equal($"drtools: {Path.Combine(history.Path, "none")}: no such history file.", check.StandardError.Trim());
        root.AssertNothingLeft();
    }

    [Fact]
    public async Task A_failover_run_on_its_own_is_recorded_in_the_drill_history_unless_told_not_to()
    {
        using var root = new TemporaryRoot();
        using var history = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);

        string[] drill = ["failover", "--sandbox", sandbox.Id, "--root", root.Path, "--no-integrity", "--history", history.Path];
        var unrecorded = await Drtools.RunAsync([.. drill, "--no-history"]);
        Assert.True(unrecorded.ExitCode == 0, unrecorded.All);
        Assert.Empty(Directory.GetFileSystemEntries(history.Path));

        // Reads through the path the application reads from: here node0 alone, the standby since the switchover before.
        var replica = sandbox.ConnectionString(sandbox.Members[0]);
        var recorded = await Drtools.RunAsync([.. drill, "--json", "--read-probe-connection-string", replica]);
        Assert.True(recorded.ExitCode == 0, recorded.All);
        // Standard output stays the result's JSON; where it was recorded goes to standard error.
        var runId = JsonDocument.Parse(recorded.StandardOutput).RootElement.GetProperty("runId").GetGuid();
        var journal = Drtools.OnlyJournal(history.Path)!;
        Assert.Equal($"journal, reports and probe history: {journal.Folder}", recorded.StandardError.Trim());
        Assert.Equal(("drtools failover", RunStatus.Passed), (journal.Source, journal.Status));
        Assert.Equal(runId.ToString("N"), Assert.Single(journal.Steps).Drill);
        foreach (var file in new[] { "report.md", "report.html", "junit.xml", "history.jsonl" })
        {
            Assert.True(File.Exists(Path.Combine(journal.Folder!, file)), file);
        }

        var reads = File.ReadAllLines(Path.Combine(journal.Folder!, "history.jsonl")).Select(l => JsonNode.Parse(l)!)
            .Where(o => (string?)o["f"] == "read" && (string?)o["type"] == "ok").ToList();
        Assert.NotEmpty(reads);
        Assert.All(reads, o => Assert.Equal($"127.0.0.1:{sandbox.Members[0].Port}", (string?)o["node"]));
        var listed = await Drtools.RunAsync("history", "--history", history.Path);
        Assert.True(listed.ExitCode == 0, listed.All);
        Assert.Contains(journal.Runbook, listed.StandardOutput);
        var check = await Drtools.RunAsync("history", "check", journal.Folder!);
        Assert.True(check.ExitCode == 0, check.All);
        Assert.Contains("agree with the history", check.StandardOutput);
    }

    [Fact]
    public async Task A_failover_run_on_its_own_that_ends_with_an_error_is_recorded_and_history_check_says_it_is_not_decided()
    {
        using var root = new TemporaryRoot();
        using var history = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var password = JsonDocument.Parse(File.ReadAllText(Path.Combine(sandbox.Directory, "sandbox.json"))).RootElement
            .GetProperty("password").GetString()!;

        // The fault is a command that fails: the drill ends with an error after its probes started and the fault was issued.
        var drill = await Drtools.RunAsync(TimeSpan.FromMinutes(3), "failover", "--sandbox", sandbox.Id, "--root", root.Path,
            "--mode", "failover", "--fault-command", "exit 3", "--no-integrity", "--history", history.Path);
        Assert.True(drill.ExitCode == 2, drill.All);
        var journal = Drtools.OnlyJournal(history.Path);
        Assert.True(journal is not null, $"no journal in the drill history\n{drill.All}");
        var step = Assert.Single(journal.Steps);
        Assert.Equal(("drtools failover", RunStatus.Failed, StepStatus.Failed), (journal.Source, journal.Status, step.Status));
        Assert.Contains("fault command for node0", step.Message);
        Assert.Contains("(exit code 3)", step.Message);
        Assert.Contains($"step 1: Failover (Invoke-DbFailover) failed: {step.Message}", journal.Issues);
        // The folder first, as on success, then the error as today: one line, no stack trace.
        Assert.Equal([$"journal, reports and probe history: {journal.Folder}", $"drtools: {step.Message}"],
            drill.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var operations = ProbeHistory.Load(Path.Combine(journal.Folder!, ProbeHistory.FileName));
        Assert.NotNull(step.Drill);
        Assert.All(operations, o => Assert.Equal(step.Drill, o.Drill));
        Assert.Contains(operations, o => o.F == HistoryOperation.Write && o.Type == OperationOutcome.Ok);
        Assert.Contains(operations, o => o.F == HistoryOperation.Fault && o.Description!.Contains("exit 3"));
        var error = Assert.Single(operations, o => o.F == HistoryOperation.DrillError);
        Assert.Equal(step.Message!.ReplaceLineEndings(" "), error.Error);
        foreach (var file in Directory.GetFiles(journal.Folder!)) Assert.DoesNotContain(password, File.ReadAllText(file));
        Assert.DoesNotContain(password, drill.All);

        var check = await Drtools.RunAsync("history", "check", journal.Folder!);
        Assert.True(check.ExitCode == 1, check.All);
        Assert.Contains($"drill {step.Drill}: not decided: the drill ended with an error before its final read: {error.Error} (",
            check.StandardOutput);
        Assert.EndsWith("verdict: FAIL", check.StandardOutput.Trim());
    }

    [Fact]
    public async Task Lost_writes_without_an_RPO_objective_pass_the_drill_and_its_history_check_and_fail_by_the_rule_without_a_journal()
    {
        using var root = new TemporaryRoot();
        using var history = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(
            new SandboxOptions { Engine = StoreEngines.MariaDb, Standbys = 1, Root = root.Path }, CancellationToken.None);
        var cluster = (IReplicaSet)sandbox.Cluster;
        // The probe's table reaches the replica, then the replica stops receiving: every write acknowledged from then on exists
        // only on node0, and is lost when the drill kills it and promotes node1 (chosen: no replica replicates).
        await cluster.PrepareProbeAsync("node0", CancellationToken.None);
        var prepared = await cluster.AppliedPositionAsync("node0", CancellationToken.None);
        await cluster.WaitAppliedAsync("node1", prepared, TimeSpan.FromSeconds(10), CancellationToken.None);
        await MariaDbSql.ScalarAsync(sandbox, "node1", "stop slave io_thread; select 1");

        var drill = await Drtools.RunAsync(TimeSpan.FromMinutes(3), "failover", "--sandbox", sandbox.Id, "--root", root.Path, "--mode",
            "failover", "--candidate", "node1", "--no-integrity", "--rto", "60s", "--history", history.Path, "--json");
        // No RPO objective: the lost writes are reported, and the drill passes on its RTO.
        Assert.True(drill.ExitCode == 0, drill.All);
        var lost = (int)JsonDocument.Parse(drill.StandardOutput).RootElement.GetProperty("lostWrites").GetProperty("measured").GetDouble();
        Assert.True(lost > 0, drill.StandardOutput);
        var journal = Drtools.OnlyJournal(history.Path)!;
        Assert.Equal(RunStatus.Passed, journal.Status);

        var check = await Drtools.RunAsync("history", "check", journal.Folder!);
        Assert.True(check.ExitCode == 0, check.All);
        Assert.Contains($"; lost: {lost} (", check.StandardOutput);
        Assert.Single(check.StandardOutput.Split('\n'), l => l.Contains($"; lost: {lost} (", StringComparison.Ordinal) && l.EndsWith(
            ") (no RPO objective in the journal: reported, not a FAIL; Jepsen's set-full checker calls such a history invalid)",
            StringComparison.Ordinal));
        Assert.Matches(@"objective write unavailability \(RTO\) ≤ 60 s: met on the history \([0-9.]+ s; the journal: met\)",
            check.StandardOutput);
        Assert.EndsWith("verdict: PASS", check.StandardOutput.Trim());
        var json = await Drtools.RunAsync("history", "check", journal.Folder!, "--json");
        Assert.True(json.ExitCode == 0, json.All);
        var verification = JsonDocument.Parse(json.StandardOutput).RootElement;
        Assert.True(verification.GetProperty("passed").GetBoolean());
        var objectives = verification.GetProperty("objectives").EnumerateArray().ToList();
        Assert.Contains(objectives, o => o.GetProperty("figure").GetString() == ProbeHistoryChecker.WriteUnavailability
            && o.GetProperty("met").GetBoolean() && o.GetProperty("decides").GetBoolean());
        Assert.DoesNotContain(objectives, o => o.GetProperty("figure").GetString() is ProbeHistoryChecker.LostWrites
            or ProbeHistoryChecker.DataLossWindow);

        // Without the journal, no objective is known: the rule that any lost write is a FAIL decides, and says so.
        var journalFile = Path.Combine(journal.Folder!, "journal.json");
        var aside = Path.Combine(history.Path, "journal.json");
        File.Move(journalFile, aside);
        check = await Drtools.RunAsync("history", "check", journal.Folder!);
        Assert.True(check.ExitCode == 1, check.All);
        Assert.Contains("figures not compared: no journal.json beside it, so no objectives: any lost acknowledged write or split-brain "
            + "write is a FAIL (the rule that decided)", check.StandardOutput);
        Assert.DoesNotContain("no RPO objective", check.StandardOutput);
        Assert.EndsWith("verdict: FAIL", check.StandardOutput.Trim());
        File.Move(aside, journalFile);

        // A lost write added by hand: the history no longer agrees with the journal's count.
        var file = Path.Combine(journal.Folder!, ProbeHistory.FileName);
        var lines = File.ReadAllLines(file);
        var added = lines.Select(l => JsonNode.Parse(l)!).Last(o => (string?)o["f"] == "write" && (string?)o["type"] == "ok").DeepClone();
        added["value"] = 1_000_000;
        File.WriteAllLines(file, [.. lines, added.ToJsonString()]);
        check = await Drtools.RunAsync("history", "check", journal.Folder!);
        Assert.True(check.ExitCode == 1, check.All);
        Assert.Contains($"lost acknowledged writes: journal {lost}, history {lost + 1}", check.StandardOutput);
        Assert.EndsWith("verdict: FAIL", check.StandardOutput.Trim());
    }

    [Fact]
    public async Task A_drill_that_ends_with_an_error_writes_what_its_probes_saw_and_history_check_says_it_is_not_decided()
    {
        using var root = new TemporaryRoot();
        using var history = new TemporaryRoot();
        var runbook = Path.Combine(history.Path, "drill.yml");
        // The second drill's fault is a command that fails: the drill ends with an error after the fault was issued.
        File.WriteAllText(runbook, """
            name: A drill that ends with an error
            targets:
              db: { sandbox: { standbys: 1 } }
            steps:
              - { name: Switch over, run: Invoke-DbFailover, with: { target: db, mode: Switchover, skipIntegrity: true } }
              - name: Fail over
                run: Invoke-DbFailover
                with: { target: db, mode: Failover, skipIntegrity: true, faultCommand: "exit 3" }
            cleanup:
              - { name: Remove sandbox, run: Remove-DrSandbox, with: { target: db } }
            """);
        var runs = Path.Combine(history.Path, "runs");
        var run = await Drtools.RunAsync(TimeSpan.FromMinutes(5), "run", runbook, "--history", runs, "--root", root.Path);
        Assert.True(run.ExitCode == 1, run.All);
        var journal = Drtools.OnlyJournal(runs)!;
        var failed = journal.Steps.Single(s => s.Name == "Fail over");
        Assert.Equal(StepStatus.Failed, failed.Status);
        Assert.Contains("exit", failed.Message);
        // Its timeline until the error, on the run's clock, in the journal and the report (a failed drill step had none).
        Assert.Equal(["probes started", "fault issued"], failed.Marks.Select(m => m.Name));
        var issued = failed.Marks[1];
        Assert.Equal(MarkKind.Fault, issued.Kind);
        Assert.InRange(issued.At, failed.StartedAt!.Value, failed.StartedAt.Value + failed.Duration!.Value);
        Assert.Contains($"fault issued: {issued.Detail}", File.ReadAllText(Path.Combine(journal.Folder!, "report.md")));

        var operations = ProbeHistory.Load(Path.Combine(journal.Folder!, ProbeHistory.FileName));
        var passed = journal.Steps.Single(s => s.Name == "Switch over").Drill!;
        Assert.NotNull(failed.Drill);
        var lines = operations.Where(o => o.Drill == failed.Drill).ToList();
        Assert.Contains(lines, o => o.F == HistoryOperation.Write && o.Type == OperationOutcome.Ok);
        Assert.Contains(lines, o => o.F == HistoryOperation.Read && o.Type == OperationOutcome.Ok);
        var fault = Assert.Single(lines, o => o.F == HistoryOperation.Fault);
        Assert.Contains("exit 3", fault.Description);
        // Its command failed: the fault was never seen complete, and may or may not have taken effect (was "ok").
        Assert.Null(fault.Complete);
        Assert.Equal(OperationOutcome.Indeterminate, fault.Type);
        Assert.DoesNotContain(lines, o => o.F == HistoryOperation.FinalRead);
        var error = Assert.Single(lines, o => o.F == "drill-error");
        Assert.Equal("the drill ended with an error before its final read", error.Description);
        Assert.Equal(failed.Message!.ReplaceLineEndings(" "), error.Error);
        Assert.True(error.Invoke > fault.Invoke);

        var check = await Drtools.RunAsync("history", "check", journal.Folder!);
        Assert.True(check.ExitCode == 1, check.All);
        Assert.Empty(check.StandardError);
        Assert.Contains($"drill {failed.Drill}: not decided: the drill ended with an error before its final read: {error.Error} (",
            check.StandardOutput);
        // The drill that completed is checked all the same, against the journal.
        Assert.Contains($"drill {passed} (final read on ", check.StandardOutput);
        Assert.Contains("figure(s) of", check.StandardOutput);
        Assert.DoesNotContain("DISAGREES", check.StandardOutput);
        Assert.EndsWith("verdict: FAIL", check.StandardOutput.Trim());
        root.AssertNothingLeft();
    }
}
