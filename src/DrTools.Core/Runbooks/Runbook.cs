using DrTools.Core.Sandboxes;
using YamlDotNet.RepresentationModel;

namespace DrTools.Core.Runbooks;

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

    /// <summary>The runbook's variables (variables:) with their values: the defaults it gives, or those the user set.</summary>
    public IReadOnlyDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The runbook with <paramref name="values"/> (NAME=VALUE, from --var or -Variable) set over its defaults; a name it
    /// does not declare is refused, naming those it does.
    /// </summary>
    public Runbook WithVariables(IEnumerable<KeyValuePair<string, string>> values)
    {
        var variables = new Dictionary<string, string>(Variables, StringComparer.Ordinal);
        foreach (var (name, value) in values)
        {
            if (!variables.ContainsKey(name))
            {
                throw new DrToolsException($"variable '{name}': {Source} declares "
                    + (variables.Count == 0 ? "no variables" : $"only {string.Join(", ", variables.Keys)}") + " (variables:).",
                    DrErrorKind.InvalidArgument);
            }
            variables[name] = value;
        }
        return this with { Variables = variables };
    }
}
