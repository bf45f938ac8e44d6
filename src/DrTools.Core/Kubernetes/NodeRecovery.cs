namespace DrTools.Core.Kubernetes;

/// <summary>What the drills that take a node away from a workload share (a drain, a node lost to the user's fault).</summary>
internal static class NodeRecovery
{
    /// <summary>
    /// The node named, else the one running most of the workload's pods; one running none of them is refused. Pods on
    /// their way out do not count: a node left with a drained pod still terminating is not the busiest.
    /// </summary>
    public static string Choose(string drill, KubernetesTarget target, WorkloadStatus status, string? node)
    {
        var used = status.Pods.Where(p => p.Node is not null && !p.Terminating).GroupBy(p => p.Node!).OrderByDescending(g => g.Count())
            .ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key).ToList();
        if (node is null) return used.FirstOrDefault() ?? throw DrToolsException.Refused($"{drill} on {target.Name}: none of its pods "
            + "runs on a node");
        return used.Contains(node) ? node
            : throw DrToolsException.Refused($"{drill} on {target.Name}: node {node} runs none of its pods (they run on "
                + $"{string.Join(", ", used)}): it would measure nothing", DrErrorKind.InvalidArgument);
    }

    /// <summary>
    /// Measures from <paramref name="started"/> (a timeline moment) until every replica is ready on another node than
    /// <paramref name="node"/>, none of the pods taken from it among them.
    /// </summary>
    public static Task<DrillOutcome> MeasureAsync(DrillSession session, string node, string started, KubernetesDrillOptions options,
        Func<ReplicaWatch, CancellationToken, Task<IReadOnlyList<PodState>>> act, CancellationToken cancellationToken) =>
        WorkloadRecovery.MeasureAsync(session, options, async (watch, stop) =>
            {
                watch.Mark(started);
                return await act(watch, stop);
            }, (taken, pod) => pod.Node != node && taken.All(t => t.Uid != pod.Uid), _ => $"every replica ready again, none on node {node}",
            $"from {started} to {Workloads.ReadyEvent(session.Target, session.Before.Desired)} and every ready "
            + $"replica on another node than {node}, none of its pods among them", cancellationToken);
}
