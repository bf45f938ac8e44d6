namespace DrTools.Core.Probes;

/// <summary>A read that began after a write was acknowledged and did not see it, though it read that far back.</summary>
public sealed record StaleRead(TimeSpan Invoke, string? Node, IReadOnlyList<long> Missed);
