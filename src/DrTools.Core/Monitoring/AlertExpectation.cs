namespace DrTools.Core.Monitoring;

/// <summary>The alert a failover drill expects: it must fire within a time of the fault, and its resolution is timed.</summary>
public sealed record AlertExpectation(string Name, AlertSources Sources)
{
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public TimeSpan Within { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The expectation the cmdlet, command line or runbook gave; null without an alert name (then no alert option may be
    /// given).</summary>
    public static AlertExpectation? From(string? name, Sandboxes.Sandbox? sandbox, string? prometheus, string? alertmanager,
        IReadOnlyDictionary<string, string> labels, TimeSpan? within)
    {
        if (name is null)
        {
            return labels.Count == 0 && within is null && prometheus is null && alertmanager is null ? null
                : throw new DrToolsException("alert options are for the alert a drill expects: name it (-ExpectAlert / --expect-alert / "
                    + "expectAlert:, e.g. InstanceDown).", DrErrorKind.InvalidArgument);
        }
        var sources = AlertSources.Resolve(sandbox, prometheus, alertmanager);
        if (sources.Alertmanager is null) throw new DrToolsException($"expecting alert {name} needs Alertmanager: a monitoring sandbox "
            + $"(New-DrSandbox -Monitoring), or -Alertmanager URL.", DrErrorKind.InvalidArgument);
        return new AlertExpectation(name, sources) { Labels = labels, Within = within ?? TimeSpan.FromSeconds(60) };
    }
}
