using k8s;
using k8s.Models;

namespace DrTools.Core.Kubernetes;

/// <summary>
/// Deletes a healthy workload's pods and measures, from the API server's own watch of the workload on one monotonic
/// clock, how long until every replica was ready again with none of the deleted pods among them.
/// </summary>
public static class PodRecovery
{
    public static async Task<PodRecoveryResult> RunAsync(KubernetesTarget target, int? count, TimeSpan? rto, int? minReady,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        target.DemandDrillAllowed("pod deletion");
        var requests = new RequestCount();
        using var client = target.Connect(requests);
        var before = await WorkloadStatus.ReadAsync(client, target, cancellationToken);
        if (!before.Healthy) throw DrToolsException.Refused($"pod deletion on {target.Name} refused: it is {before.Verdict}");
        await KubernetesCalls.DemandMayAsync(client, target, "delete", "pods", cancellationToken);
        var workload = await Workloads.ReadAsync(client, target, cancellationToken);
        var victims = before.Pods.Where(p => !p.Terminating).Take(count ?? before.Pods.Count).ToList();

        var clock = new MonotonicClock();
        var timeline = new List<WorkloadEvent>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(timeout);
        await using var watch = ReplicaWatch.Start(client, target, workload, clock, timeline, stop.Token);
        var deletedAt = clock.Elapsed;
        var (readsBefore, writesBefore) = (requests.Reads, requests.Writes);
        var deletionStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        foreach (var pod in victims)
        {
            // Preconditioned on its uid: a pod made again under the same name since the read is not the one chosen.
            await KubernetesCalls.RunAsync(target, $"delete pod {pod.Name}",
                token => client.CoreV1.DeleteNamespacedPodAsync(pod.Name, target.Namespace,
                    new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = pod.Uid } }, cancellationToken: token),
                cancellationToken);
            watch.Mark($"pod {pod.Name} deleted");
        }
        TimeSpan? recovered = null;
        try
        {
            recovered = await watch.UntilRecoveredAsync(deletedAt, token => NoneDeletedAmongReadyAsync(client, target, victims, token),
                stop.Token);
            watch.Mark($"every replica ready again, none of the {victims.Count} deleted pod(s) among them");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The timeout: what was seen so far is a lower bound.
        }
        var end = recovered ?? clock.Elapsed;
        var how = $"from the first deletion request to the {target.Kind}'s watch event with readyReplicas at {before.Desired} and "
            + "none of the deleted pods among the ready ones, on the drill's monotonic clock";
        var capacity = watch.Capacity(minReady, end);
        return new PodRecoveryResult(target.Name, before.Desired, victims.Select(p => p.Name).ToList(),
            new Measurement("recovery time", (end - deletedAt).TotalSeconds, "s", rto?.TotalSeconds, how)
            {
                MoreThan = recovered is null,
            },
            capacity.Lowest, capacity.Below,
            timeline, deletionStarted)
        {
            ClockOrigin = clock.Origin,
            ApiRequests = new ApiRequests(requests.Reads - readsBefore, requests.Writes - writesBefore, end - deletedAt),
        };
    }

    /// <summary>By uid: a StatefulSet makes its pods again under the names of the deleted ones.</summary>
    private static async Task<bool> NoneDeletedAmongReadyAsync(IKubernetes client, KubernetesTarget target,
        IReadOnlyList<PodState> deleted, CancellationToken cancellationToken)
    {
        var status = await WorkloadStatus.ReadAsync(client, target, cancellationToken);
        return status.Pods.Count(p => p.Ready && !p.Terminating && deleted.All(d => d.Uid != p.Uid)) >= status.Desired;
    }
}
