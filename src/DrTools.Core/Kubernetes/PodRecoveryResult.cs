namespace DrTools.Core.Kubernetes;

/// <summary>
/// A pod-deletion drill's figures: the recovery time (deletion to every replica ready again, by the API's watch), the
/// lowest number of ready replicas and how long the workload was below its desired count, and what it saw when.
/// </summary>
/// <param name="MinReady">The fewest ready replicas allowed (a floor: higher is better, unlike every other figure).</param>
/// <param name="DeletionStarted">When the first deletion was asked, as a Stopwatch timestamp: the recovery time's start.</param>
public sealed record PodRecoveryResult(string Target, int Desired, IReadOnlyList<string> Deleted, Measurement RecoveryTime,
    Measurement LowestReady, int? MinReady, Measurement BelowDesired, IReadOnlyList<WorkloadEvent> Timeline,
    long DeletionStarted)
{
    public bool Met => RecoveryTime.Met != false && (MinReady is not { } floor || LowestReady.Measured >= floor);
}
