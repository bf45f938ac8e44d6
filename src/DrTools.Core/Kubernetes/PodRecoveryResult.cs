namespace DrTools.Core.Kubernetes;

/// <summary>
/// A pod-deletion drill's figures: the recovery time (deletion to every replica ready again, by the API's watch), the
/// lowest number of ready replicas and how long the workload was below its desired count, and what it saw when.
/// </summary>
/// <param name="MinReady">The fewest ready replicas allowed.</param>
/// <param name="DeletionStarted">When the first deletion was asked, as a Stopwatch timestamp: the recovery time's start.</param>
/// <param name="MostUnready">The desired count less the lowest ready: held to desired less <paramref name="MinReady"/>.</param>
public sealed record PodRecoveryResult(string Target, int Desired, IReadOnlyList<string> Deleted, Measurement RecoveryTime,
    Measurement LowestReady, int? MinReady, Measurement MostUnready, Measurement BelowDesired, IReadOnlyList<WorkloadEvent> Timeline,
    long DeletionStarted)
{
    /// <summary>The figures, those with a target first: what Should -MeetObjective and the reports hold the drill to.</summary>
    public IReadOnlyList<Measurement> Figures => [RecoveryTime, MostUnready, LowestReady, BelowDesired];

    public bool Met => Figures.All(f => f.Met != false);
}
