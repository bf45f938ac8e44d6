using YamlDotNet.RepresentationModel;

namespace DrTools.Core.Runbooks;

/// <summary>One step: an operation (named like its cmdlet) with arguments, or a PowerShell script block.</summary>
public sealed record RunbookStep
{
    public required RunbookSection Section { get; init; }
    public required int Index { get; init; }
    public required string Name { get; init; }
    public RunbookOperation? Operation { get; init; }
    /// <summary>PowerShell script text; runs only under Invoke-DrRunbook.</summary>
    public string? Script { get; init; }
    internal IReadOnlyDictionary<string, YamlNode> Arguments { get; init; } = new Dictionary<string, YamlNode>();
    public required TimeSpan Timeout { get; init; }
    public bool ContinueOnError { get; init; }
    /// <summary>The variable the step's result is saved in, for later steps as ${name}.</summary>
    public string? Save { get; init; }
    /// <summary>The objectives (rto, rpo) this step's measured figures count toward.</summary>
    public IReadOnlyList<string> Objectives { get; init; } = [];
    /// <summary>What to do when the step fails, for the report.</summary>
    public string? Remediation { get; init; }
    public required SourcePosition Position { get; init; }

    /// <summary>For a script step: the DrTools command it runs, when it can be told (a PowerShell step's last command).</summary>
    public string? Command { get; init; }

    public string Kind => Operation?.Name ?? Command ?? "script";
}
