namespace DrTools.Core.Kubernetes;

/// <summary>
/// A node loss's figures: the recovery time (the user's fault to every replica ready on other nodes, by the API's watch),
/// the capacity dip held to the fewest ready allowed, and where the lost node's pods were made again.
/// </summary>
/// <param name="Lost">The workload's pods that ran on the node when it was taken away.</param>
/// <param name="Rescheduled">Each pod made during the drill, with the node it runs on ("web-x on node-2").</param>
public sealed record NodeLossResult(string Target, string Node, int Desired, IReadOnlyList<string> Lost, IReadOnlyList<string> Rescheduled,
    Measurement RecoveryTime, Measurement LowestReady, Measurement BelowDesired, IReadOnlyList<WorkloadEvent> Timeline,
    ApiRequests ApiRequests)
{
    /// <summary>What the HTTP probe of the application's URL saw during the drill, when one was asked for.</summary>
    public Probes.HttpProbeResult? HttpProbe { get; init; }

    /// <summary>The figures, those with a target first: what Should -MeetObjective and the reports hold the drill to.</summary>
    public IReadOnlyList<Measurement> Figures => [RecoveryTime, LowestReady, BelowDesired, .. HttpProbe?.Figures ?? []];

    public bool Met => Figures.All(f => f.Met != false);

    /// <summary>
    /// When the fault command started, as a Stopwatch timestamp (the monotonic clock, CLOCK_MONOTONIC on Linux): the recovery time's start,
    /// for an outside watch to line the figures up with.
    /// </summary>
    public long Started { get; init; }

    /// <summary>The Stopwatch timestamp the timeline counts from: places its moments on a run's clock.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public long ClockOrigin { get; init; }
}
