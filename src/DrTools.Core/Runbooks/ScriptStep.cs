namespace DrTools.Core.Runbooks;

/// <summary>A step as a script declares it: what the report calls it and how the run treats it.</summary>
public sealed record ScriptStep(string Name)
{
    public RunbookSection Section { get; init; } = RunbookSection.Step;
    /// <summary>The DrTools command the step runs, when it can be told; the report's Operation column.</summary>
    public string? Command { get; init; }
    public TimeSpan? Timeout { get; init; }
    public bool ContinueOnError { get; init; }
    public IReadOnlyList<string> Objectives { get; init; } = [];
    public string? Remediation { get; init; }
    /// <summary>Where the script declares it (line and column), for messages.</summary>
    public SourcePosition Position { get; init; }
}
