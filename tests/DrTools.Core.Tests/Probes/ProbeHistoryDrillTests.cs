using DrTools.Core.Failover;
using DrTools.Core.Probes;
using DrTools.Core.Runbooks;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

/// <summary>A real PostgreSQL drill writes its probe history beside its journal, and the history alone reproduces its figures.</summary>
public sealed class ProbeHistoryDrillTests
{
    [Fact]
    public async Task A_sandbox_failover_writes_history_jsonl_whose_checker_reproduces_every_figure_of_the_journal()
    {
        using var root = new TemporaryRoot();
        using var history = new TemporaryRoot();
        const string yaml = """
            name: History drill
            targets:
              db: { sandbox: { standbys: 1, synchronous: true } }
            steps:
              - { name: Fail over, run: Invoke-DbFailover, with: { target: db, mode: Failover, rejoin: true, skipIntegrity: true } }
            cleanup:
              - { name: Remove sandbox, run: Remove-DrSandbox, with: { target: db } }
            """;
        var journal = await RunbookExecutor.RunAsync(RunbookParser.Parse(yaml, "test.yml"),
            new RunbookRunOptions { SandboxRoot = root.Path, HistoryRoot = history.Path }, CancellationToken.None);

        var step = journal.Steps.Single(s => s.Operation == "Invoke-DbFailover");
        Assert.True(step.Status == StepStatus.Passed, step.ToString());
        var verification = HistoryVerifier.Verify(journal.Folder!);
        Assert.Equal(Path.Combine(journal.Folder!, ProbeHistory.FileName), verification.HistoryFile);
        Assert.Empty(verification.Disagreements);
        var drill = Assert.Single(verification.Drills);
        Assert.Equal(step.Drill, drill.Drill);
        // The outages, the longest write gap and the error rate in the write window, both losses, split-brain writes (the
        // drill observed until the topology settled), stale reads and six latency percentiles: each the journal's number,
        // from the file alone.
        Assert.Equal(14, verification.FiguresCompared);
        Assert.True(verification.Passed);

        var operations = ProbeHistory.Load(verification.HistoryFile);
        var fault = Assert.Single(operations, o => o.F == HistoryOperation.Fault);
        Assert.True(fault.Complete > fault.Invoke);
        Assert.Contains("SIGKILL", fault.Description);
        // Read probes read the run's newest sequences: after the failover, writes acknowledged by the new primary.
        var final = Assert.Single(operations, o => o.F == HistoryOperation.FinalRead);
        Assert.NotNull(final.Since);
        Assert.Contains($"-> node1 ({final.Node})", step.Summary);
        var readsAfter = operations.Where(o => o.F == HistoryOperation.Read && o.Type == OperationOutcome.Ok && o.Invoke > fault.Complete)
            .ToList();
        Assert.NotEmpty(readsAfter);
        Assert.All(readsAfter, r => Assert.Equal(Probe.ReadNewest, r.Limit));
        var writtenAfter = operations.Where(o => o.F == HistoryOperation.Write && o.Type == OperationOutcome.Ok && o.Node == final.Node)
            .Select(o => o.Sequence!.Value).ToHashSet();
        Assert.Contains(readsAfter, r => r.Sequences!.Any(writtenAfter.Contains));
        // Every acknowledged write is in the final read (synchronous: nothing lost), and the writes' outcomes add up.
        var writes = operations.Where(o => o.F == HistoryOperation.Write).ToList();
        Assert.Equal(drill.Loss.Acknowledged, writes.Count(o => o.Type == OperationOutcome.Ok));
        Assert.Subset(final.Sequences!.ToHashSet(), writes.Where(o => o.Type == OperationOutcome.Ok).Select(o => o.Sequence!.Value)
            .ToHashSet());
        Assert.All(writes.Where(o => o.Type != OperationOutcome.Ok), o => Assert.NotNull(o.Error));
        // Stale reads, with no target given: informational.
        Assert.Null(step.Measurements.Single(m => m.Name == ProbeHistoryChecker.StaleReads).Target);
        Assert.Equal(step.Measurements.Single(m => m.Name == ProbeHistoryChecker.WriteUnavailability).Measured,
            drill.Figure(ProbeHistoryChecker.WriteUnavailability).Measured);
        root.AssertNothingLeft();
    }

    [Fact]
    public async Task Reads_through_a_replica_that_applies_a_second_late_are_stale_reads_held_to_the_target_given()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 2, Root = root.Path }, CancellationToken.None);
        // node2 has the probe table, then applies every commit a second late: reads through it miss what was just acknowledged.
        await Probe.PrepareAsync(sandbox.Target.Members[0], CancellationToken.None);
        await Polling.RequireAsync(
            async () => await Sql.ScalarAsync<bool>(sandbox, "node2", $"select to_regclass('{Probe.Table}') is not null"),
            TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(20), () => "node2 never had the probe table", CancellationToken.None);
        await Sql.ExecuteAsync(sandbox, "node2", "alter system set recovery_min_apply_delay = '1s'; select pg_reload_conf()");
        var replica = sandbox.ConnectionString(sandbox.Members[2]);
        var options = new FailoverOptions
        {
            Mode = FailoverMode.Failover, Candidate = "node1", CheckIntegrity = false, MaxStaleReads = 0,
            ReadProbe = new ProbeOptions { ConnectionString = replica },
        };
        var control = new SandboxControl(sandbox);
        var result = await FailoverDrill.RunAsync(await FailoverDrill.PlanAsync(sandbox.Target, control, options, CancellationToken.None),
            control, options, CancellationToken.None);

        var stale = Assert.Single(result.ConsistencyFigures);
        Assert.Equal(ProbeHistoryChecker.StaleReads, stale.Name);
        Assert.True(stale.Measured >= 5, stale.ToString());
        // A replica is expected to be behind: informational unless held to a target, as here.
        Assert.Equal((0.0, false), (stale.Target, stale.Met));
        Assert.False(result.Met);
        Assert.Contains("expected to be stale: held to the target given", stale.Method);
        var check = ProbeHistoryChecker.Check(result.History);
        Assert.All(check.StaleReads, r => Assert.Equal($"127.0.0.1:{sandbox.Members[2].Port}", r.Node));
    }

    /// <summary>
    /// A store's read probe returns the run's newest sequences, at most <see cref="Probe.ReadNewest"/>, and the history's
    /// final read says since when the final primary was one (split brain is decided).
    /// </summary>
    internal static void AssertReadsReturnTheNewestSequences(Failover.FailoverResult result)
    {
        var answered = result.ReadSamples.Where(r => r.Succeeded).ToList();
        Assert.Contains(answered, r => r.Observed is { Count: > 0 });
        Assert.All(answered, r => Assert.InRange(r.Observed!.Count, 0, Probe.ReadNewest));
        Assert.NotNull(Assert.Single(result.History, o => o.F == HistoryOperation.FinalRead).Since);
        Assert.Contains(ProbeHistoryChecker.Check(result.History).Figures, f => f.Name == ProbeHistoryChecker.SplitBrainWrites);
    }
}
