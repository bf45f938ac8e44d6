namespace DrTools.Core.Kubernetes;

/// <summary>
/// A pod-deletion drill's figures: the recovery time (deletion to every replica ready again, by the API's watch), the
/// lowest number of ready replicas and how long the workload was below its desired count, and what it saw when.
/// </summary>
/// <param name="LowestReady">The fewest ready replicas, held to the fewest allowed (a floor).</param>
/// <param name="DeletionStarted">When the first deletion was asked, as a Stopwatch timestamp: the recovery time's start.</param>
public sealed record PodRecoveryResult(string Target, int Desired, IReadOnlyList<string> Deleted, Measurement RecoveryTime,
    Measurement LowestReady, Measurement BelowDesired, IReadOnlyList<WorkloadEvent> Timeline, long DeletionStarted)
{
    /// <summary>The figures, those with a target first: what Should -MeetObjective and the reports hold the drill to.</summary>
    public IReadOnlyList<Measurement> Figures => [RecoveryTime, LowestReady, BelowDesired, .. new[] { Refused }.OfType<Measurement>(),
        .. BudgetsHeld, .. HttpProbe?.Figures ?? []];

    /// <summary>When the pods were evicted: whether each budget that covers the workload's pods alone held.</summary>
    public IReadOnlyList<Measurement> BudgetsHeld { get; init; } = [];

    /// <summary>What the HTTP probe of the application's URL saw during the drill, when one was asked for.</summary>
    public Probes.HttpProbeResult? HttpProbe { get; init; }

    /// <summary>What was done to the pods: "deleted", or "evicted" (then <see cref="Refused"/> is set).</summary>
    [System.Text.Json.Serialization.JsonIgnore] public string Taken => Refused is null ? "deleted" : "evicted";

    /// <summary>The evictions a disruption budget refused, when the pods were evicted rather than deleted.</summary>
    public Measurement? Refused { get; init; }

    /// <summary>Each pod made during the drill, with the node it runs on ("web-x on node-2").</summary>
    public IReadOnlyList<string> Rescheduled { get; init; } = [];

    public bool Met => Figures.All(f => f.Met != false);

    /// <summary>Requests sent to the API server outside the watch, from the first deletion to the end.</summary>
    public ApiRequests? ApiRequests { get; init; }

    /// <summary>The Stopwatch timestamp the timeline counts from: places its moments on a run's clock.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public long ClockOrigin { get; init; }
}
