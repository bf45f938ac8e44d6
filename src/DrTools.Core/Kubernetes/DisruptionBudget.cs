namespace DrTools.Core.Kubernetes;

/// <summary>
/// A PodDisruptionBudget covering a workload's pods, as the API server held it when read: its rule (minAvailable or
/// maxUnavailable) and its status — the evictions it allowed then, and the healthy pods it asks for.
/// </summary>
public sealed record DisruptionBudget(string Name, string Rule, int DisruptionsAllowed, int CurrentHealthy, int DesiredHealthy,
    int ExpectedPods)
{
    public override string ToString() =>
        $"{Name} ({Rule}): {DisruptionsAllowed} disruption(s) allowed, {CurrentHealthy} healthy of {DesiredHealthy} asked";
}
