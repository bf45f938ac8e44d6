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
        using var client = target.Connect();
        var before = await WorkloadStatus.ReadAsync(client, target, cancellationToken);
        if (!before.Healthy) throw DrToolsException.Refused($"pod deletion on {target.Name} refused: it is {before.Verdict}");
        await DemandMayAsync(client, target, "delete", "pods", cancellationToken);
        var workload = await Workloads.ReadAsync(client, target, cancellationToken);
        var victims = before.Pods.Where(p => !p.Terminating).Take(count ?? before.Pods.Count).ToList();

        var clock = new MonotonicClock();
        var timeline = new List<WorkloadEvent>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(timeout);
        // Watched from the version read: no status change between the read and the deletion is missed.
        var watch = Workloads.WatchAsync(client, target, workload.ResourceVersion, stop.Token);
        var deletedAt = clock.Elapsed;
        var deletionStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        foreach (var pod in victims)
        {
            // Preconditioned on its uid: a pod made again under the same name since the read is not the one chosen.
            await KubernetesCalls.RunAsync(target, $"delete pod {pod.Name}",
                token => client.CoreV1.DeleteNamespacedPodAsync(pod.Name, target.Namespace,
                    new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = pod.Uid } }, cancellationToken: token),
                cancellationToken);
            timeline.Add(new(clock.Elapsed, $"pod {pod.Name} deleted"));
        }

        var lowest = before.Ready;
        TimeSpan? belowSince = null;
        var below = TimeSpan.Zero;
        TimeSpan? recovered = null;
        try
        {
            await foreach (var seen in watch)
            {
                var at = clock.Elapsed;
                timeline.Add(new(at, $"{seen.Ready}/{before.Desired} ready"));
                lowest = Math.Min(lowest, seen.Ready);
                if (seen.Ready < before.Desired) belowSince ??= at;
                else if (belowSince is { } since)
                {
                    below += at - since;
                    belowSince = null;
                }
                if (seen.Ready >= before.Desired && await NoneDeletedAmongReadyAsync(client, target, victims, stop.Token))
                {
                    recovered = at;
                    timeline.Add(new(at, $"every replica ready again, none of the {victims.Count} deleted pod(s) among them"));
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The timeout: what was seen so far is a lower bound.
        }
        var end = recovered ?? clock.Elapsed;
        if (belowSince is { } open) below += end - open;
        var how = $"from the first deletion request to the {target.Kind}'s watch event with readyReplicas at {before.Desired} and "
            + "none of the deleted pods among the ready ones, on the drill's monotonic clock";
        return new PodRecoveryResult(target.Name, before.Desired, victims.Select(p => p.Name).ToList(),
            new Measurement("recovery time", (end - deletedAt).TotalSeconds, "s", rto?.TotalSeconds, how)
            {
                MoreThan = recovered is null,
            },
            new Measurement("lowest ready replicas", lowest, "replicas", null, "the least readyReplicas of the watch's events"),
            minReady,
            // A floor as a figure held below a target, as every figure is: replicas short of the desired count at the worst.
            new Measurement("most replicas not ready at once", before.Desired - lowest, "replicas", before.Desired - minReady,
                $"the desired {before.Desired} less the least readyReplicas of the watch's events"
                + (minReady is { } floor ? $"; held to {before.Desired} - {floor} by the fewest ready allowed ({floor})" : "")),
            new Measurement("time below the desired replicas", below.TotalSeconds, "s", null,
                "summed from the watch's events with readyReplicas under the desired count"),
            timeline, deletionStarted);
    }

    /// <summary>
    /// Refuses before anything is done when the kubeconfig's user may not <paramref name="verb"/> <paramref name="resource"/>
    /// in the namespace (the API server's own answer to "may I?"): a drill refused halfway would leave some pods deleted.
    /// </summary>
    internal static async Task DemandMayAsync(IKubernetes client, KubernetesTarget target, string verb, string resource,
        CancellationToken cancellationToken)
    {
        var review = await KubernetesCalls.RunAsync(target, $"ask whether it may {verb} {resource}",
            token => client.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(new V1SelfSubjectAccessReview
            {
                Spec = new V1SelfSubjectAccessReviewSpec
                {
                    ResourceAttributes = new V1ResourceAttributes
                    {
                        NamespaceProperty = target.Namespace, Verb = verb, Resource = resource,
                    },
                },
            }, cancellationToken: token), cancellationToken);
        if (review.Status?.Allowed != true)
        {
            throw DrToolsException.Refused($"{target.Name}: the kubeconfig's user may not {verb} {resource} in namespace "
                + $"{target.Namespace}{(review.Status?.Reason is { Length: > 0 } reason ? $" ({reason})" : "")}", DrErrorKind.NotAllowed);
        }
    }

    /// <summary>By uid: a StatefulSet makes its pods again under the names of the deleted ones.</summary>
    private static async Task<bool> NoneDeletedAmongReadyAsync(IKubernetes client, KubernetesTarget target,
        IReadOnlyList<PodState> deleted, CancellationToken cancellationToken)
    {
        var status = await WorkloadStatus.ReadAsync(client, target, cancellationToken);
        return status.Pods.Count(p => p.Ready && !p.Terminating && deleted.All(d => d.Uid != p.Uid)) >= status.Desired;
    }
}
