namespace DrTools.Core.Monitoring;

/// <summary>An alert of a rule: its labels, state, since when, and the value of the expression that made it.</summary>
public sealed record RuleAlert(IReadOnlyDictionary<string, string> Labels, string State, DateTimeOffset? ActiveAt, string? Value);
