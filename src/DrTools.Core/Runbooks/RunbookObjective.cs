namespace DrTools.Core.Runbooks;

/// <summary>
/// An objective the run is held to, its target in the unit of its kind: "rto" (recovery time, s), "rpo" (recovery
/// point, the data loss window, s), "maxErrorRate" (the HTTP probe's error rate, %), "p99" (its p99 latency, ms) or
/// "alert" (time from the fault to the expected alert's notification, s).
/// </summary>
public sealed record RunbookObjective(string Name, double Target)
{
    public ObjectiveKind Kind => ObjectiveKind.Of(Name);
}
