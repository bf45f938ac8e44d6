using DrTools.Core.Faults;

namespace DrTools.Core.Kubernetes;

/// <summary>
/// A node drain's figures: the recovery time (cordon to every replica ready again off the node, by the API's watch), the
/// capacity dip held to the fewest ready allowed, the evictions its disruption budgets refused, where the pods went, and
/// the uncordon that undid it.
/// </summary>
/// <param name="Budgets">The disruption budgets covering the workload's pods, as read before the drain.</param>
/// <param name="Rescheduled">Each pod made during the drill, with the node it runs on ("web-x on node-2").</param>
/// <param name="ApiRequests">Requests sent to the API server outside the watch, from the cordon to the end.</param>
public sealed record NodeDrainResult(string Target, string Node, int Desired, IReadOnlyList<DisruptionBudget> Budgets,
    IReadOnlyList<string> Evicted, IReadOnlyList<string> Rescheduled, Measurement RecoveryTime, Measurement LowestReady,
    Measurement BelowDesired, Measurement Refused, IReadOnlyList<WorkloadEvent> Timeline, ApiRequests ApiRequests)
{
    /// <summary>What the HTTP probe of the application's URL saw during the drill, when one was asked for.</summary>
    public Probes.HttpProbeResult? HttpProbe { get; init; }

    /// <summary>The uncordon: undone, or why not (then the node is still cordoned and fault list shows it).</summary>
    public FaultEnd? Uncordon { get; init; }

    /// <summary>The figures, those with a target first: what Should -MeetObjective and the reports hold the drill to.</summary>
    public IReadOnlyList<Measurement> Figures => [RecoveryTime, LowestReady, BelowDesired, Refused, .. BudgetsHeld,
        .. HttpProbe?.Figures ?? []];

    /// <summary>Whether each budget that covers the workload's pods alone held: its fewest ready against what it asks for.</summary>
    public IReadOnlyList<Measurement> BudgetsHeld { get; init; } = [];

    public bool Met => Figures.All(f => f.Met != false) && Uncordon?.Undone != false;

    /// <summary>
    /// When the cordon was asked, as a Stopwatch timestamp (the monotonic clock, CLOCK_MONOTONIC on Linux): the recovery time's start,
    /// for an outside watch to line the figures up with.
    /// </summary>
    public long Started { get; init; }

    /// <summary>The Stopwatch timestamp the timeline counts from: places its moments on a run's clock.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public long ClockOrigin { get; init; }
}
