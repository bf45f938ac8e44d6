using k8s;
using k8s.Models;

namespace DrTools.Core.Kubernetes;

/// <summary>
/// Deletes (or evicts) a healthy workload's pods and measures, from the API server's watch of the workload's pods on one
/// monotonic clock, how long until every replica was ready again with none of the deleted pods among them.
/// </summary>
public static class PodRecovery
{
    public static async Task<PodRecoveryResult> RunAsync(KubernetesTarget target, PodDeletion deletion, KubernetesDrillOptions options,
        CancellationToken cancellationToken)
    {
        deletion.Check();
        using var session = await DrillSession.OpenAsync(target, deletion.Drill, cancellationToken);
        var client = session.Client;
        if (deletion.Evict) await KubernetesCalls.DemandMayAsync(client, target, "create", "pods", cancellationToken, "eviction");
        else await KubernetesCalls.DemandMayAsync(client, target, "delete", "pods", cancellationToken);
        var live = session.Before.Pods.Where(p => !p.Terminating).ToList();
        var victims = live.Take(deletion.Of(live.Count)).ToList();
        var evictions = deletion.Evict ? new Evictions(client, target) : null;
        // Deletions go round the budgets; evictions are held to them, and are judged against them.
        var budgets = deletion.Evict ? await DisruptionBudgets.CoveringAsync(client, target,
            session.Before.Pods.Select(p => p.Uid).ToHashSet(), cancellationToken) : [];
        var taken = deletion.Evict ? "evicted" : "deleted";
        var outcome = await WorkloadRecovery.MeasureAsync(session, options, async (watch, stop) =>
            {
                var done = new List<PodState>();
                foreach (var pod in victims)
                {
                    if (evictions is not null)
                    {
                        if (await evictions.EvictPacedAsync(pod, watch, stop) == EvictionOutcome.Evicted) done.Add(pod);
                        continue;
                    }
                    // Preconditioned on its uid: a pod made again under the same name since the read is not the one chosen.
                    var asked = watch.Now;
                    await KubernetesCalls.RunAsync(target, $"delete pod {pod.Name}",
                        token => client.CoreV1.DeleteNamespacedPodAsync(pod.Name, target.Namespace,
                            new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = pod.Uid } }, cancellationToken: token), stop);
                    done.Add(pod);
                    watch.Mark($"deletion of pod {pod.Name} asked", asked);
                }
                return done;
            },
            // By uid: a StatefulSet makes its pods again under the names of the deleted ones.
            (done, pod) => done.All(d => d.Uid != pod.Uid),
            done => $"every replica ready again, none of the {done.Count} {taken} pod(s) among them",
            $"from the first {(deletion.Evict ? "eviction" : "deletion")} request to {Workloads.ReadyEvent(target, session.Before.Desired)}"
            + $" and none of the {taken} pods among the ready ones", cancellationToken);
        return new PodRecoveryResult(target.Name, session.Before.Desired, outcome.Taken.Select(p => p.Name).ToList(), outcome.RecoveryTime,
            outcome.LowestReady, outcome.BelowDesired, outcome.Timeline, outcome.Started)
        {
            ClockOrigin = outcome.ClockOrigin,
            ApiRequests = outcome.ApiRequests,
            Refused = evictions?.RefusedFigure,
            HttpProbe = outcome.HttpProbe,
            Rescheduled = outcome.Rescheduled,
            BudgetsHeld = [.. budgets.Select(b => b.Held(outcome.LowestReady.Measured, session.Before.Desired)).OfType<Measurement>()],
        };
    }
}
