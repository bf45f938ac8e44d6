using DrTools.Core.Faults;
using k8s;

namespace DrTools.Core.Kubernetes;

/// <summary>
/// Drains a node of a workload's pods as kubectl drain does — cordoned (a recorded fault, uncordoned however the drill
/// ends), its pods evicted so that their disruption budgets are respected — and measures from the watch of the workload's pods
/// how far it fell and how long until every replica was ready again on other nodes. Pods of other namespaces on the
/// node are left alone: only the namespace named for drills is touched.
/// </summary>
public static class NodeDrain
{
    public static async Task<NodeDrainResult> RunAsync(KubernetesTarget target, string? node, KubernetesDrillOptions options,
        CancellationToken cancellationToken)
    {
        using var session = await DrillSession.OpenAsync(target, "node drain", cancellationToken);
        var (client, before) = (session.Client, session.Before);
        var chosen = NodeRecovery.Choose("node drain", target, before, node);
        await KubernetesCalls.DemandMayAsync(client, target, "create", "pods", cancellationToken, "eviction");
        var budgets = await DisruptionBudgets.CoveringAsync(client, target, before.Pods.Select(p => p.Uid).ToHashSet(), cancellationToken);
        var request = KubernetesFaults.Request(FaultKind.Cordon, target, $"node {chosen}",
            new Dictionary<string, string> { ["node"] = chosen });
        var evictions = new Evictions(client, target);
        // The cordon is applied inside the measurement, so that the recovery time starts before its request; undone however
        // the drill ends.
        FaultRecord? cordon = null;
        DrillOutcome outcome;
        try
        {
            outcome = await NodeRecovery.MeasureAsync(session, chosen, $"the cordon of node {chosen}", options, async (watch, stop) =>
            {
                cordon = await Faults.Faults.StartAsync(request, null, stop);
                var evicted = new List<PodState>();
                // The node listed again at the end for any pod that came meanwhile.
                while (await PodsOnAsync(client, target, before, chosen, stop) is { Count: > 0 } left)
                {
                    foreach (var pod in left)
                    {
                        if (await evictions.EvictPacedAsync(pod, watch, stop) == EvictionOutcome.Evicted) evicted.Add(pod);
                    }
                }
                watch.Mark($"every pod of {target.Name} on node {chosen} evicted (on its way out)");
                return evicted;
            }, cancellationToken);
        }
        catch
        {
            if (cordon is not null) await Faults.Faults.StopAsync(cordon, CancellationToken.None);
            throw;
        }
        var uncordon = cordon is null ? null : await Faults.Faults.StopAsync(cordon, CancellationToken.None);
        return new NodeDrainResult(target.Name, chosen, before.Desired, budgets, outcome.Taken.Select(p => p.Name).ToList(),
            outcome.Rescheduled, outcome.RecoveryTime, outcome.LowestReady, outcome.BelowDesired, evictions.RefusedFigure, outcome.Timeline,
            outcome.ApiRequests)
        {
            ClockOrigin = outcome.ClockOrigin, Started = outcome.Started, HttpProbe = outcome.HttpProbe, Uncordon = uncordon,
            BudgetsHeld = [.. budgets.Select(b => b.Held(outcome.LowestReady.Measured, before.Desired)).OfType<Measurement>()],
        };
    }

    /// <summary>The workload's pods on the node that are not on their way out.</summary>
    private static async Task<IReadOnlyList<PodState>> PodsOnAsync(IKubernetes client, KubernetesTarget target, WorkloadStatus before,
        string node, CancellationToken cancellationToken) =>
        (await WorkloadStatus.PodsAsync(client, target, before.Selector, cancellationToken))
            .Where(p => p.Node == node && !p.Terminating).ToList();
}
