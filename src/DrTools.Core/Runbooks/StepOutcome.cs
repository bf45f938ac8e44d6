namespace DrTools.Core.Runbooks;

/// <summary>What a step produced: its result object (saved with save:), whether it passed, and the figures it measured.</summary>
public sealed record StepOutcome(object? Output, bool Passed, string Summary)
{
    public IReadOnlyList<Measurement> Measurements { get; init; } = [];
    /// <summary>Figures for objectives, keyed "rto"/"rpo".</summary>
    public IReadOnlyDictionary<string, Measurement> ObjectiveFigures { get; init; } = new Dictionary<string, Measurement>();
    public IReadOnlyList<TimelineMark> Marks { get; init; } = [];
}
