using System.Text.Json.Serialization;

namespace DrTools.Core.Runbooks;

/// <summary>What happened to one step, as the journal and the reports show it.</summary>
public sealed record StepRecord
{
    public required RunbookSection Section { get; init; }
    public required int Index { get; init; }
    public required string Name { get; init; }
    public required string Operation { get; init; }
    public StepStatus Status { get; init; } = StepStatus.Pending;
    /// <summary>Start on the run's clock.</summary>
    public TimeSpan? StartedAt { get; init; }
    public TimeSpan? Duration { get; init; }
    public string? Summary { get; init; }
    /// <summary>Why it failed, timed out, was aborted or skipped.</summary>
    public string? Message { get; init; }
    public bool ContinueOnError { get; init; }
    public IReadOnlyList<string> Objectives { get; init; } = [];
    public string? Remediation { get; init; }
    public IReadOnlyList<Measurement> Measurements { get; init; } = [];
    public IReadOnlyList<TimelineMark> Marks { get; init; } = [];
    /// <summary>A drill step's id in the run's history.jsonl (its lines' "drill"), whose figures it reports.</summary>
    public string? Drill { get; init; }

    [JsonIgnore] public bool Succeeded => Status == StepStatus.Passed;
    [JsonIgnore] public string Label => $"{Section.Label()} {Index + 1}: {Name}";

    /// <summary>One line for progress output: "step 2: Fail over: Passed in 1.9 s: detail".</summary>
    public override string ToString() =>
        $"{Label}: {Status}{(Duration is { } duration ? $" in {Measurement.Format(duration.TotalSeconds)} s" : "")}"
            + ((Message ?? Summary) is { } detail ? $": {detail}" : "");
}
