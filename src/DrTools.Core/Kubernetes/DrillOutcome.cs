namespace DrTools.Core.Kubernetes;

/// <summary>What a Kubernetes drill measured (<see cref="WorkloadRecovery"/>).</summary>
/// <param name="Started">When the drill's first action began, as a Stopwatch timestamp: the recovery time's start.</param>
internal sealed record DrillOutcome(IReadOnlyList<PodState> Taken, IReadOnlyList<string> Rescheduled, Measurement RecoveryTime,
    Measurement LowestReady, Measurement BelowDesired, IReadOnlyList<WorkloadEvent> Timeline, ApiRequests ApiRequests,
    Probes.HttpProbeResult? HttpProbe, long ClockOrigin, long Started);
