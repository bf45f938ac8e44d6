namespace DrTools.Core.Kubernetes;

/// <summary>What a drill that takes a node away from a workload measured (<see cref="NodeRecovery"/>).</summary>
internal sealed record NodeOutcome(IReadOnlyList<PodState> Taken, IReadOnlyList<string> Rescheduled, Measurement RecoveryTime,
    Measurement LowestReady, Measurement BelowDesired, IReadOnlyList<WorkloadEvent> Timeline, ApiRequests ApiRequests,
    Probes.HttpProbeResult? HttpProbe, long ClockOrigin);
