namespace DrTools.Core.Runbooks;

/// <summary>What a run tells its webhooks: the event (start, abort, end), and at the end the verdict and the report.</summary>
public sealed record DrillNotice(string Event, string Drill, string RunId, DateTimeOffset At)
{
    public string? Status { get; init; }
    public string? Reason { get; init; }
    public string? Report { get; init; }
    public double? DurationSeconds { get; init; }
    public IReadOnlyList<ObjectiveResult> Objectives { get; init; } = [];

    public string Text => Event switch
    {
        "start" => $"DrTools drill '{Drill}' started (run {RunId}).",
        "abort" => $"DrTools drill '{Drill}' is stopping early: {Reason} (run {RunId}).",
        _ => $"DrTools drill '{Drill}' ended: {Status?.ToUpperInvariant()} in {DurationSeconds:0.###} s{ObjectivesText}"
            + $"{(Reason is null ? "" : $" ({Reason})")}. Report: {Report}",
    };

    private string ObjectivesText => Objectives.Count == 0 ? ""
        : $"; {string.Join(", ", Objectives.Select(o => $"{o.Name.ToUpperInvariant()} {(o.Met ? "met" : "NOT met")}"))}";
}
