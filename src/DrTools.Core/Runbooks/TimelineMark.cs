namespace DrTools.Core.Runbooks;

/// <summary>A moment (or, with Until, a window) on the run's clock: fault injection, the outage seen by clients, recovery.</summary>
public sealed record TimelineMark(string Name, MarkKind Kind, TimeSpan At, TimeSpan? Until = null, string? Detail = null);
