using System.Text;
using DrTools.Core.Failover;

namespace DrTools.Core.Runbooks;

/// <summary>
/// A failover drill run on its own (Invoke-DbFailover, drtools failover) as a one-step run journal, so it gets the same
/// reports as a runbook: objectives from the targets it was given, the drill's timeline and every figure.
/// </summary>
public static class FailoverJournal
{
    /// <summary>
    /// Records a drill run on its own in the drill history as a run of its own: its folder holds journal.json, the
    /// reports and history.jsonl, as a runbook's does, and <c>drtools history</c> lists it.
    /// </summary>
    /// <param name="source">What ran it, for the report ("drtools failover", "Invoke-DbFailover").</param>
    public static RunJournal Record(FailoverResult result, string? historyRoot, string source, string? tester = null) =>
        Write(From(result, tester) with { Source = source }, result.History, historyRoot);

    /// <summary>
    /// Records a drill run on its own that ended with an error, as a run does a drill step that throws: its one step
    /// failed with the error, and history.jsonl with what its probes observed and the drill-error line in place of the
    /// final read (none when it failed before its probes started), so <c>drtools history check</c> says it is not decided.
    /// </summary>
    /// <summary>
    /// Whether a failed drill ran at all: its failure carries what its probes saw. One refused before it began (another
    /// drill holds the target, a plan refused) changed nothing and is not a drill to record.
    /// </summary>
    public static bool Began(Exception failure) => Probes.ProbeHistory.CarriedBy(failure) is not null;

    public static RunJournal RecordFailure(Exception failure, FailoverPlan plan, DateTimeOffset startedAt, TimeSpan duration,
        string? historyRoot, string source, string? tester = null)
    {
        var history = Probes.ProbeHistory.CarriedBy(failure) ?? [];
        var runId = history.Count > 0 ? Guid.ParseExact(history[0].Drill, "N") : Guid.NewGuid();
        var journal = Skeleton(runId, $"{plan.Mode} of {plan.Target.Name}", plan.Target.Name, startedAt, duration,
            RunEnvironment.DescribeServers(plan.Before), tester);
        var step = Step(runId, plan.Mode, duration) with
        {
            Status = StepStatus.Failed, Message = StepFailure.Message(failure), Drill = history.Count > 0 ? history[0].Drill : null,
            // On the drill's own clock, as a drill that ended is recorded.
            Marks = StepOutcomes.FailedDrillMarks(failure, _ => TimeSpan.Zero),
        };
        var failed = journal with
        {
            Source = source, Status = RunStatus.Failed, Steps = [step], Issues = [StepFailure.Issue(step, continueOnError: false)],
        };
        return Write(failed, history, historyRoot);
    }

    /// <summary>Writes the journal, its reports and history.jsonl into a new folder of the drill history, all or none.</summary>
    private static RunJournal Write(RunJournal journal, IReadOnlyList<Probes.HistoryOperation> operations, string? historyRoot)
    {
        var name = $"{journal.StartedAt:yyyyMMdd-HHmmss}-{DrillRun.Slug(journal.Runbook)}-{journal.Id}";
        var folder = Path.Combine(DrillHistory.Root(historyRoot), name);
        AtomicFile.MakeFolder(folder, "the drill's folder in the drill history");
        journal = journal with { Folder = folder };
        IEnumerable<(string, byte[])> history = operations.Count == 0 ? [] :
            [(Path.Combine(folder, Probes.ProbeHistory.FileName), Encoding.UTF8.GetBytes(Probes.ProbeHistory.ToJsonLines(operations)))];
        try
        {
            // All or none, the journal last: a folder with a journal is a recorded run, complete when the journal appears.
            AtomicFile.WriteAll([.. history, .. Reports.Report.Files(journal, folder),
                (Path.Combine(folder, RunJournal.FileName), Encoding.UTF8.GetBytes(journal.ToJson()))]);
        }
        catch
        {
            // Not recorded: no folder left in the history that looks like a run without its journal.
            AtomicFile.RemoveEmptyFolder(folder);
            throw;
        }
        return journal;
    }

    public static RunJournal From(FailoverResult result, string? tester = null)
    {
        var figures = StepOutcomes.FailoverObjectiveFigures(result);
        var objectives = figures.Where(f => f.Value.Target is not null)
            .Select(f => new ObjectiveResult(f.Key, f.Value.Target!.Value, f.Value with { Name = ObjectiveKind.Of(f.Key).Display },
                null) { Unit = f.Value.Unit })
            .ToList();
        var passed = result.Met && objectives.All(o => o.Met);
        var journal = Skeleton(result.RunId, $"{result.Mode} of {result.Target}", result.Target, result.StartedAt, result.Duration,
            RunEnvironment.DescribeServers(result.TopologyAfter), tester);
        return journal with
        {
            Status = passed ? RunStatus.Passed : RunStatus.Failed,
            Steps =
            [
                Step(result.RunId, result.Mode, result.Duration) with
                {
                    Status = passed ? StepStatus.Passed : StepStatus.Failed,
                    Summary = StepOutcomes.FailoverSummary(result),
                    Message = passed ? null : string.Join("; ", result.Shortfalls is { Count: > 0 } shortfalls ? shortfalls
                        : objectives.Where(o => !o.Met).Select(o => $"{o.Name.ToUpperInvariant()} not met: {o.Measurement}")),
                    Objectives = [.. objectives.Select(o => o.Name)], Measurements = result.Figures,
                    Marks = StepOutcomes.FailoverMarks(result, TimeSpan.Zero),
                },
            ],
            Objectives = objectives,
            // Every shortfall, whether or not an objective: a split brain alone left "Issues encountered: none" under FAILED.
            Issues = result.Shortfalls.Count > 0 ? result.Shortfalls
                : [.. objectives.Where(o => !o.Met).Select(o => $"{o.Name.ToUpperInvariant()} not met: {o.Measurement}")],
        };
    }

    /// <summary>The journal of a drill run on its own, before its step: who ran it where, on what, when.</summary>
    private static RunJournal Skeleton(Guid runId, string name, string target, DateTimeOffset startedAt, TimeSpan duration, string servers,
        string? tester) => new()
    {
        Id = runId.ToString("N")[..12],
        Runbook = name,
        TestType = "Database failover test",
        Source = "Invoke-DbFailover",
        Tester = RunEnvironment.Operator(tester).Name,
        TesterSource = RunEnvironment.Operator(tester).Source,
        Environment = RunEnvironment.Capture(null) with { Servers = new Dictionary<string, string> { ["db"] = servers } },
        Host = Environment.MachineName,
        DrToolsVersion = typeof(FailoverJournal).Assembly.GetName().Version?.ToString(3) ?? "unknown",
        Targets = new Dictionary<string, string> { ["db"] = target },
        StartedAt = startedAt,
        EndedAt = startedAt + duration,
        Duration = duration,
        TargetsReadyAt = TimeSpan.Zero,
    };

    /// <summary>The drill's one step, before its outcome.</summary>
    private static StepRecord Step(Guid runId, FailoverMode mode, TimeSpan duration) => new()
    {
        Section = RunbookSection.Step, Index = 0, Name = mode.ToString(), Operation = "Invoke-DbFailover", StartedAt = TimeSpan.Zero,
        Duration = duration, Drill = runId.ToString("N"),
    };
}
