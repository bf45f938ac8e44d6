using k8s;

namespace DrTools.Core.Kubernetes;

/// <summary>
/// What the drills that take a node away from a workload share (a drain, a node lost to the user's command): the node
/// chosen, the workload's watch from the version read before acting, the HTTP probe beside it, and the recovery to every
/// replica ready on other nodes with none of the node's pods among them, on one monotonic clock.
/// </summary>
internal static class NodeRecovery
{
    /// <summary>The node named, else the one running most of the workload's pods; one running none of them is refused.</summary>
    public static string Choose(string drill, KubernetesTarget target, WorkloadStatus status, string? node)
    {
        var used = status.Pods.Where(p => p.Node is not null).GroupBy(p => p.Node!).OrderByDescending(g => g.Count())
            .ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key).ToList();
        if (node is null) return used.FirstOrDefault() ?? throw DrToolsException.Refused($"{drill} on {target.Name}: none of its pods "
            + "runs on a node");
        return used.Contains(node) ? node
            : throw DrToolsException.Refused($"{drill} on {target.Name}: node {node} runs none of its pods (they run on "
                + $"{string.Join(", ", used)}): it would measure nothing", DrErrorKind.InvalidArgument);
    }

    /// <summary>
    /// Runs <paramref name="act"/> (it takes the node away and returns the pods it took) and measures from its first moment
    /// (<paramref name="started"/>, marked on the timeline) until the workload is whole on other nodes, or the timeout.
    /// </summary>
    public static async Task<NodeOutcome> MeasureAsync(IKubernetes client, RequestCount requests, KubernetesTarget target,
        WorkloadStatus before, string node, string started, KubernetesDrillOptions options,
        Func<ReplicaWatch, CancellationToken, Task<IReadOnlyList<PodState>>> act, CancellationToken cancellationToken)
    {
        var workload = await Workloads.ReadAsync(client, target, cancellationToken);
        var clock = new MonotonicClock();
        var timeline = new List<WorkloadEvent>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(options.Timeout);
        await using var watch = ReplicaWatch.Start(client, target, workload, clock, timeline, stop.Token);
        await using var probe = options.HttpProbe is { } http ? Probes.HttpProbe.Start(http, clock) : null;
        var (readsBefore, writesBefore) = (requests.Reads, requests.Writes);
        var start = watch.Mark(started);
        var taken = new List<PodState>();
        TimeSpan? recovered = null;
        try
        {
            taken.AddRange(await act(watch, stop.Token));
            recovered = await watch.UntilRecoveredAsync(start, async t => (await WorkloadStatus.PodsAsync(client, target,
                workload.Selector, t)).Count(p => p.Ready && !p.Terminating && p.Node != node && taken.All(e => e.Uid != p.Uid))
                >= watch.Desired, stop.Token);
            watch.Mark($"every replica ready again, none on node {node}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The timeout: what was seen so far is a lower bound.
        }
        var end = recovered ?? clock.Elapsed;
        var after = await WorkloadStatus.PodsAsync(client, target, workload.Selector, cancellationToken);
        var capacity = watch.Capacity(options.MinReady, end);
        var how = $"from {started} to the {target.Kind}'s watch event with readyReplicas at {watch.Desired} and every ready replica "
            + $"on another node than {node}, none of its pods among them, on the drill's monotonic clock";
        return new NodeOutcome(taken,
            after.Where(p => before.Pods.All(b => b.Uid != p.Uid)).Select(p => $"{p.Name} on {p.Node ?? "no node"}").ToList(),
            new Measurement("recovery time", (end - start).TotalSeconds, "s", options.Rto?.TotalSeconds, how)
            {
                MoreThan = recovered is null,
            },
            capacity.Lowest, capacity.Below, [.. timeline],
            new ApiRequests(requests.Reads - readsBefore, requests.Writes - writesBefore, end - start),
            probe is null ? null : await probe.StopAsync(), clock.Origin);
    }
}
