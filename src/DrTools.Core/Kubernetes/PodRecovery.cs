using k8s;
using k8s.Models;

namespace DrTools.Core.Kubernetes;

/// <summary>
/// Deletes (or evicts) a healthy workload's pods and measures, from the API server's own watch of the workload on one
/// monotonic clock, how long until every replica was ready again with none of the deleted pods among them.
/// </summary>
public static class PodRecovery
{
    public static async Task<PodRecoveryResult> RunAsync(KubernetesTarget target, PodDeletion deletion, KubernetesDrillOptions options,
        CancellationToken cancellationToken)
    {
        deletion.Check();
        target.DemandDrillAllowed(deletion.Drill);
        var requests = new RequestCount();
        using var client = target.Connect(requests);
        var before = await WorkloadStatus.ReadAsync(client, target, cancellationToken);
        if (!before.Healthy) throw DrToolsException.Refused($"{deletion.Drill} on {target.Name} refused: it is {before.Verdict}");
        if (deletion.Evict) await KubernetesCalls.DemandMayAsync(client, target, "create", "pods", cancellationToken, "eviction");
        else await KubernetesCalls.DemandMayAsync(client, target, "delete", "pods", cancellationToken);
        var workload = await Workloads.ReadAsync(client, target, cancellationToken);
        var live = before.Pods.Where(p => !p.Terminating).ToList();
        var victims = live.Take(deletion.Of(live.Count)).ToList();

        var clock = new MonotonicClock();
        var timeline = new List<WorkloadEvent>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(options.Timeout);
        await using var watch = ReplicaWatch.Start(client, target, workload, clock, timeline, stop.Token);
        await using var probe = options.HttpProbe is { } http ? Probes.HttpProbe.Start(http, clock) : null;
        var deletedAt = clock.Elapsed;
        var deletionStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        var (readsBefore, writesBefore) = (requests.Reads, requests.Writes);
        var evictions = deletion.Evict ? new Evictions(client, target) : null;
        var taken = new List<PodState>();
        TimeSpan? recovered = null;
        try
        {
            foreach (var pod in victims)
            {
                if (evictions is not null)
                {
                    if (await evictions.EvictPacedAsync(pod, watch, stop.Token) == EvictionOutcome.Evicted) taken.Add(pod);
                    continue;
                }
                // Preconditioned on its uid: a pod made again under the same name since the read is not the one chosen.
                await KubernetesCalls.RunAsync(target, $"delete pod {pod.Name}",
                    token => client.CoreV1.DeleteNamespacedPodAsync(pod.Name, target.Namespace,
                        new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = pod.Uid } }, cancellationToken: token),
                    stop.Token);
                taken.Add(pod);
                watch.Mark($"pod {pod.Name} deleted");
            }
            recovered = await watch.UntilRecoveredAsync(deletedAt, token => NoneTakenAmongReadyAsync(client, target, taken, token),
                stop.Token);
            watch.Mark($"every replica ready again, none of the {taken.Count} {(deletion.Evict ? "evicted" : "deleted")} pod(s) "
                + "among them");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The timeout: what was seen so far is a lower bound.
        }
        var end = recovered ?? clock.Elapsed;
        var after = await WorkloadStatus.PodsAsync(client, target, workload.Selector, cancellationToken);
        var verb = deletion.Evict ? "eviction" : "deletion";
        var how = $"from the first {verb} request to the {target.Kind}'s watch event with readyReplicas at {before.Desired} and "
            + $"none of the {(deletion.Evict ? "evicted" : "deleted")} pods among the ready ones, on the drill's monotonic clock";
        var capacity = watch.Capacity(options.MinReady, end);
        return new PodRecoveryResult(target.Name, before.Desired, taken.Select(p => p.Name).ToList(),
            new Measurement("recovery time", (end - deletedAt).TotalSeconds, "s", options.Rto?.TotalSeconds, how)
            {
                MoreThan = recovered is null,
            },
            capacity.Lowest, capacity.Below, timeline, deletionStarted)
        {
            ClockOrigin = clock.Origin,
            ApiRequests = new ApiRequests(requests.Reads - readsBefore, requests.Writes - writesBefore, end - deletedAt),
            Refused = evictions?.RefusedFigure,
            HttpProbe = probe is null ? null : await probe.StopAsync(),
            Rescheduled = after.Where(p => before.Pods.All(b => b.Uid != p.Uid)).Select(p => $"{p.Name} on {p.Node ?? "no node"}").ToList(),
        };
    }

    /// <summary>By uid: a StatefulSet makes its pods again under the names of the deleted ones.</summary>
    private static async Task<bool> NoneTakenAmongReadyAsync(IKubernetes client, KubernetesTarget target,
        IReadOnlyList<PodState> taken, CancellationToken cancellationToken)
    {
        var status = await WorkloadStatus.ReadAsync(client, target, cancellationToken);
        return status.Pods.Count(p => p.Ready && !p.Terminating && taken.All(d => d.Uid != p.Uid)) >= status.Desired;
    }
}
