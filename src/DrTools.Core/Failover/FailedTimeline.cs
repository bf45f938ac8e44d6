namespace DrTools.Core.Failover;

/// <summary>A failed drill's events until its failure, on its clock (a Stopwatch timestamp as origin).</summary>
internal sealed record FailedTimeline(IReadOnlyList<DrillEvent> Events, long ClockOrigin);
