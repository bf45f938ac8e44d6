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
    public static RunJournal Record(FailoverResult result, string? historyRoot, string source, string? tester = null)
    {
        var journal = From(result, tester) with { Source = source };
        var name = $"{result.StartedAt:yyyyMMdd-HHmmss}-{DrillRun.Slug(journal.Runbook)}-{journal.Id}";
        var folder = Path.Combine(DrillHistory.Root(historyRoot), name);
        AtomicFile.MakeFolder(folder, "the drill's folder in the drill history");
        journal = journal with { Folder = folder };
        IEnumerable<(string, byte[])> history = result.History.Count == 0 ? [] :
            [(Path.Combine(folder, Probes.ProbeHistory.FileName), Encoding.UTF8.GetBytes(Probes.ProbeHistory.ToJsonLines(result.History)))];
        try
        {
            // All or none, the journal last: a folder with a journal is a recorded run, complete when the journal appears.
            AtomicFile.WriteAll([.. history, .. Reports.Report.Files(journal, folder),
                (Path.Combine(folder, "journal.json"), Encoding.UTF8.GetBytes(journal.ToJson()))]);
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
            .Select(f => new ObjectiveResult(f.Key, f.Value.Target!.Value, f.Value with { Name = ObjectiveKind.Of(f.Key).Display }, null) { Unit = f.Value.Unit })
            .ToList();
        var passed = result.Met && objectives.All(o => o.Met);
        var name = $"{result.Mode} of {result.Target}";
        return new RunJournal
        {
            Id = result.RunId.ToString("N")[..12],
            Runbook = name,
            TestType = "Database failover test",
            Source = "Invoke-DbFailover",
            Tester = RunEnvironment.Operator(tester).Name,
            TesterSource = RunEnvironment.Operator(tester).Source,
            Environment = RunEnvironment.Capture(null) with
            {
                Servers = new Dictionary<string, string> { ["db"] = RunEnvironment.DescribeServers(result.TopologyAfter) },
            },
            Host = Environment.MachineName,
            DrToolsVersion = typeof(FailoverJournal).Assembly.GetName().Version?.ToString(3) ?? "unknown",
            Targets = new Dictionary<string, string> { ["db"] = result.Target },
            Status = passed ? RunStatus.Passed : RunStatus.Failed,
            StartedAt = result.StartedAt,
            EndedAt = result.StartedAt + result.Duration,
            Duration = result.Duration,
            TargetsReadyAt = TimeSpan.Zero,
            Steps =
            [
                new StepRecord
                {
                    Section = RunbookSection.Step, Index = 0, Name = result.Mode.ToString(), Operation = "Invoke-DbFailover",
                    Status = passed ? StepStatus.Passed : StepStatus.Failed, StartedAt = TimeSpan.Zero, Duration = result.Duration,
                    Summary = StepOutcomes.FailoverSummary(result), Message = passed ? null
                        : result.ReplicasNotFollowing.Count > 0 ? string.Join("; ", result.ReplicasNotFollowing)
                        : "an objective or the integrity check was not met",
                    Objectives = [.. objectives.Select(o => o.Name)], Measurements = result.Figures, Marks = StepOutcomes.FailoverMarks(result, TimeSpan.Zero),
                    Drill = result.RunId.ToString("N"),
                },
            ],
            Objectives = objectives,
            Issues = [.. result.ReplicasNotFollowing,
                .. objectives.Where(o => !o.Met).Select(o => $"{o.Name.ToUpperInvariant()} not met: {o.Measurement}")],
        };
    }
}
