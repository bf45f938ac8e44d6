namespace DrTools.Core.Runbooks;

/// <summary>What a run's journal and report call it, and where it came from (a runbook file, a script).</summary>
public sealed record RunHeader(string Name, string TestType, string Source, string? Description = null)
{
    /// <summary>Webhooks told of the run's start, abort and end.</summary>
    public IReadOnlyList<NotifyTarget> Notify { get; init; } = [];
}
