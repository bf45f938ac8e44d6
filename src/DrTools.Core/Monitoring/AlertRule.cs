namespace DrTools.Core.Monitoring;

/// <summary>An alerting rule as Prometheus evaluates it now: its expression, state (inactive, pending, firing) and its alerts.</summary>
public sealed record AlertRule(string Name, string Query, string State, string Health, string? LastError, IReadOnlyList<RuleAlert> Alerts)
{
    public string Duration { get; init; } = "0s";
}
