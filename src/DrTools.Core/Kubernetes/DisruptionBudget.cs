namespace DrTools.Core.Kubernetes;

/// <summary>
/// A PodDisruptionBudget covering a workload's pods, as the API server held it when read: its rule (minAvailable or
/// maxUnavailable) and its status — the evictions it allowed then, and the healthy pods it asks for.
/// </summary>
public sealed record DisruptionBudget(string Name, string Rule, int DisruptionsAllowed, int CurrentHealthy, int DesiredHealthy,
    int ExpectedPods)
{
    /// <summary>
    /// Whether the budget held during a drill whose workload had <paramref name="lowest"/> of <paramref name="desired"/>
    /// replicas ready at the fewest: a floor against the healthy pods it asks for. Judged only when it covers the
    /// workload's pods alone (its other pods' health is not watched); null otherwise.
    /// </summary>
    public Measurement? Held(double lowest, int desired) => ExpectedPods != desired ? null
        : new Measurement($"disruption budget {Name} held", lowest, "replicas", DesiredHealthy,
            $"the fewest of the workload's pods ready and not terminating in the pod watch's events against the "
            + $"{DesiredHealthy} healthy pods the budget ({Rule}) asks for; it covers the workload's {desired} pods alone")
        {
            AtLeast = true,
        };

    public override string ToString() =>
        $"{Name} ({Rule}): {DisruptionsAllowed} disruption(s) allowed, {CurrentHealthy} healthy, {DesiredHealthy} required";
}
