namespace DrTools.Core.Runbooks;

/// <summary>A parameter of a runbook operation, named like the cmdlet's parameter (written camelCase in runbooks).</summary>
public sealed record OperationParameter(string Name, ParameterKind Kind, string Help)
{
    public bool Required { get; init; }
    /// <summary>For Object parameters: the type a ${variable} must hold.</summary>
    public Type? ObjectType { get; init; }
    public IReadOnlyList<string> Choices { get; init; } = [];
    /// <summary>For Integer and Number parameters: the values accepted.</summary>
    public double Minimum { get; init; }
    public double Maximum { get; init; } = int.MaxValue;
    /// <summary>For Duration parameters: the longest accepted, and whether zero is refused (timeouts, intervals).</summary>
    public TimeSpan MaxDuration { get; init; } = DurationText.MaxWait;
    public bool Positive { get; init; }
    /// <summary>For Target parameters: only a sandbox target will do (Remove-DrSandbox).</summary>
    public bool SandboxOnly { get; init; }

    public string Describe() => Kind switch
    {
        ParameterKind.Choice => $"one of {string.Join(", ", Choices)}",
        ParameterKind.Object => $"a ${{variable}} holding a {ObjectType?.Name ?? "value"}",
        ParameterKind.Target => "a target name",
        ParameterKind.Duration => "a duration such as 30s",
        ParameterKind.StringList => "a string or a list of strings",
        ParameterKind.Timestamp => "a timestamp such as 2026-11-22 10:00:00+00:00",
        _ => $"a {Kind.ToString().ToLowerInvariant()}",
    };
}
