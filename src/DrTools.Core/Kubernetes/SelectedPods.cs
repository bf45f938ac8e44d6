using System.Runtime.CompilerServices;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace DrTools.Core.Kubernetes;

/// <summary>
/// A workload's pods, read and watched: the ready ones (not on their way out) are its ready replicas, and a watch of
/// those pods from the list's version keeps their uids, so each event gives the count of pods that serve. A label
/// selector's workload is the pods it selects when read, as many as were running then being its desired count.
/// </summary>
internal static class SelectedPods
{
    /// <summary>The pods <paramref name="selector"/> selects, listed; an unparsable selector and one selecting nothing refused.</summary>
    public static async Task<WorkloadReading> ReadAsync(IKubernetes client, KubernetesTarget target, string selector,
        CancellationToken cancellationToken)
    {
        var (list, live) = await ListAsync(client, target, selector, cancellationToken);
        if (live.Count == 0)
        {
            throw new DrToolsException($"{target.Name}: the label selector selects no running pod in namespace {target.Namespace}",
                DrErrorKind.InvalidArgument);
        }
        return Reading(live.Count, selector, list, live);
    }

    /// <summary>
    /// A Deployment's or StatefulSet's pods, listed by its selector: its desired count, their ready ones. A pod being
    /// deleted is not ready here, as the Service's endpoints drop it at once, while a StatefulSet's readyReplicas counts
    /// it until its kubelet marks it not ready (0.7–0.9 s later on kube-lab).
    /// </summary>
    public static async Task<WorkloadReading> ReadAsync(IKubernetes client, KubernetesTarget target, WorkloadReading workload,
        CancellationToken cancellationToken)
    {
        var (list, live) = await ListAsync(client, target, workload.Selector, cancellationToken);
        return Reading(workload.Desired, workload.Selector, list, live);
    }

    private static async Task<(V1PodList List, List<PodState> Live)> ListAsync(IKubernetes client, KubernetesTarget target,
        string selector, CancellationToken cancellationToken)
    {
        try
        {
            var list = await client.CoreV1.ListNamespacedPodAsync(target.Namespace, labelSelector: selector,
                cancellationToken: cancellationToken);
            return (list, list.Items.Select(WorkloadStatus.State).Where(p => !p.Terminating).ToList());
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.BadRequest)
        {
            throw new DrToolsException($"label selector {selector}: {KubernetesCalls.Message(e.Response.Content)}",
                DrErrorKind.InvalidArgument, e);
        }
    }

    private static WorkloadReading Reading(int desired, string selector, V1PodList list, List<PodState> live)
    {
        var ready = live.Where(p => p.Ready).Select(p => p.Uid).ToHashSet();
        return new WorkloadReading(desired, ready.Count, ready.Count, selector, list.Metadata.ResourceVersion, ready);
    }

    /// <summary>The ready count after each change of a selected pod from <paramref name="read"/>'s version on.</summary>
    public static async IAsyncEnumerable<WorkloadReading> WatchAsync(IKubernetes client, KubernetesTarget target, WorkloadReading read,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var ready = new HashSet<string>(read.ReadyPods ?? throw new ArgumentException("not a reading of pods", nameof(read)));
        await foreach (var (type, pod) in client.CoreV1.WatchListNamespacedPodAsync(target.Namespace, labelSelector: read.Selector,
            resourceVersion: read.ResourceVersion, cancellationToken: cancellationToken))
        {
            if (type == WatchEventType.Bookmark) continue;
            // An error event ends the watch: the caller says the watch ended rather than go on from a count it cannot trust.
            if (type == WatchEventType.Error) yield break;
            var state = WorkloadStatus.State(pod);
            if (type != WatchEventType.Deleted && state.Ready && !state.Terminating) ready.Add(state.Uid);
            else ready.Remove(state.Uid);
            yield return read with { Ready = ready.Count, Available = ready.Count, ResourceVersion = pod.Metadata.ResourceVersion };
        }
    }
}
