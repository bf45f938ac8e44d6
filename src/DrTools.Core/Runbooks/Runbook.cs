using DrTools.Core.Sandboxes;
using YamlDotNet.RepresentationModel;

namespace DrTools.Core.Runbooks;

/// <summary>A place in a runbook file (1-based), so that every error can say where it is.</summary>
public readonly record struct SourcePosition(int Line, int Column)
{
    internal static SourcePosition Of(YamlNode node) => new((int)node.Start.Line, (int)node.Start.Column);

    public override string ToString() => $"{Line}:{Column}";
}

/// <summary>A parsed and validated runbook: what to run against which targets, and the objectives it is held to.</summary>
public sealed record Runbook
{
    public required string Name { get; init; }
    /// <summary>The kind of test for the report header (e.g. "Database failover test"); defaults to the name.</summary>
    public required string TestType { get; init; }
    public string? Description { get; init; }
    /// <summary>The file it came from, for messages and the journal.</summary>
    public required string Source { get; init; }
    public required IReadOnlyList<RunbookObjective> Objectives { get; init; }
    public required IReadOnlyList<RunbookTarget> Targets { get; init; }
    public required IReadOnlyList<RunbookStep> PreChecks { get; init; }
    public required IReadOnlyList<RunbookStep> Steps { get; init; }
    public required IReadOnlyList<RunbookStep> Cleanup { get; init; }
    public required IReadOnlyList<AbortCondition> AbortConditions { get; init; }
    /// <summary>Webhooks told of the run's start, abort and end (notify:).</summary>
    public IReadOnlyList<NotifyTarget> Notify { get; init; } = [];
}

/// <summary>
/// An objective the run is held to, its target in the unit of its kind: "rto" (recovery time, s), "rpo" (recovery
/// point, the data loss window, s), "maxErrorRate" (the HTTP probe's error rate, %), "p99" (its p99 latency, ms) or
/// "alert" (time from the fault to the expected alert's notification, s).
/// </summary>
public sealed record RunbookObjective(string Name, double Target)
{
    public ObjectiveKind Kind => ObjectiveKind.Of(Name);
}

/// <summary>What an objective measures: its unit, its name in reports, and how several steps' figures combine.</summary>
public sealed record ObjectiveKind(string Name, string Unit, string Display, string Measures, bool Summed)
{
    public static readonly IReadOnlyList<ObjectiveKind> All =
    [
        new("rto", "s", "recovery time (RTO)", "a recovery time", Summed: true),
        new("rpo", "s", "recovery point (RPO): window of lost writes", "data loss", Summed: false),
        new("maxErrorRate", "%", "HTTP error rate", "an HTTP error rate (httpProbe:)", Summed: false),
        new("p99", "ms", "HTTP latency p99", "HTTP latency (httpProbe:)", Summed: false),
        new("alert", "s", "time to alert", "a time to alert (expectAlert:)", Summed: false),
    ];

    public static ObjectiveKind Of(string name) => All.Single(k => k.Name == name);
}

/// <summary>A cluster the steps work on: a sandbox the run creates (and always removes), or existing members by connection
/// string.</summary>
public sealed record RunbookTarget(string Name, SandboxOptions? Sandbox, IReadOnlyList<string> ConnectionStrings, bool AllowDrill,
    SourcePosition Position)
{
    /// <summary>REST APIs of the Patroni that runs a cluster given by connection strings: its view in status, and Patroni recovers its
    /// drills.</summary>
    public IReadOnlyList<string> Patroni { get; init; } = [];
    /// <summary>The store: postgresql (the default), mariadb or redis.</summary>
    public string Engine { get; init; } = Engines.StoreEngines.PostgreSql;
}

public enum RunbookSection { PreCheck, Step, Cleanup, AbortCondition }

public static class RunbookSections
{
    /// <summary>How messages and reports name a section's steps: "pre-check 1", "step 2", "cleanup 1".</summary>
    public static string Label(this RunbookSection section) => section switch
    {
        RunbookSection.PreCheck => "pre-check",
        RunbookSection.Cleanup => "cleanup",
        RunbookSection.AbortCondition => "abort condition",
        _ => "step",
    };
}

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

/// <summary>A condition checked continuously while the steps run; when it trips, the run stops and cleanup runs.</summary>
public sealed record AbortCondition
{
    public required string Name { get; init; }
    /// <summary>An operation that must keep passing (e.g. Test-ReplicationLag with a bound), or null for an HTTP check.</summary>
    public RunbookStep? Check { get; init; }
    public Uri? Http { get; init; }
    /// <summary>The HTTP status a healthy endpoint answers; by default any 2xx.</summary>
    public int? ExpectStatus { get; init; }
    public required TimeSpan Interval { get; init; }
    /// <summary>Longest one check may take; a slower check counts as failed.</summary>
    public required TimeSpan Timeout { get; init; }
    /// <summary>Consecutive failed checks that trip the condition.</summary>
    public required int Failures { get; init; }
    public required SourcePosition Position { get; init; }
}
