using System.Runtime.CompilerServices;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace DrTools.Core.Kubernetes;

/// <summary>
/// A label selector's workload: the pods it selects when read, as many as were running then being its desired count,
/// the ready ones (not on their way out) its ready replicas; a watch of those pods from the list's version keeps the
/// ready ones' uids, so each event gives the count as a Deployment's readyReplicas would.
/// </summary>
internal static class SelectedPods
{
    /// <summary>The pods <paramref name="selector"/> selects, listed; an unparsable selector and one selecting nothing refused.</summary>
    public static async Task<WorkloadReading> ReadAsync(IKubernetes client, KubernetesTarget target, string selector,
        CancellationToken cancellationToken)
    {
        V1PodList list;
        try
        {
            list = await client.CoreV1.ListNamespacedPodAsync(target.Namespace, labelSelector: selector,
                cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.BadRequest)
        {
            throw new DrToolsException($"label selector {selector}: {KubernetesCalls.Message(e.Response.Content)}",
                DrErrorKind.InvalidArgument, e);
        }
        var live = list.Items.Select(WorkloadStatus.State).Where(p => !p.Terminating).ToList();
        if (live.Count == 0)
        {
            throw new DrToolsException($"{target.Name}: the label selector selects no running pod in namespace {target.Namespace}",
                DrErrorKind.InvalidArgument);
        }
        var ready = live.Where(p => p.Ready).Select(p => p.Uid).ToHashSet();
        return new WorkloadReading(live.Count, ready.Count, ready.Count, selector, list.Metadata.ResourceVersion, ready);
    }

    /// <summary>The ready count after each change of a selected pod from <paramref name="read"/>'s version on.</summary>
    public static async IAsyncEnumerable<WorkloadReading> WatchAsync(IKubernetes client, KubernetesTarget target, WorkloadReading read,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var ready = new HashSet<string>(read.ReadyPods ?? throw new ArgumentException("not a label selector's reading", nameof(read)));
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
