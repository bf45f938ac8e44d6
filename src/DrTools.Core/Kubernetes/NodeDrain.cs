using DrTools.Core.Faults;
using k8s;

namespace DrTools.Core.Kubernetes;

/// <summary>
/// Drains a node of a workload's pods as kubectl drain does — cordoned (a recorded fault, uncordoned however the drill
/// ends), its pods evicted so that their disruption budgets are respected — and measures from the workload's own watch
/// how far it fell and how long until every replica was ready again on other nodes. Pods of other namespaces on the
/// node are left alone: only the namespace named for drills is touched.
/// </summary>
public static class NodeDrain
{
    public static async Task<NodeDrainResult> RunAsync(KubernetesTarget target, string? node, KubernetesDrillOptions options,
        CancellationToken cancellationToken)
    {
        target.DemandDrillAllowed("node drain");
        var requests = new RequestCount();
        using var client = target.Connect(requests);
        var before = await WorkloadStatus.ReadAsync(client, target, cancellationToken);
        if (!before.Healthy) throw DrToolsException.Refused($"node drain on {target.Name} refused: it is {before.Verdict}");
        var chosen = Choose(target, before, node);
        await KubernetesCalls.DemandMayAsync(client, target, "create", "pods", cancellationToken, "eviction");
        var budgets = await DisruptionBudgets.CoveringAsync(client, target, before.Pods.Select(p => p.Uid).ToHashSet(), cancellationToken);
        var workload = await Workloads.ReadAsync(client, target, cancellationToken);
        var request = KubernetesFaults.Request(FaultKind.Cordon, target, $"node {chosen}",
            new Dictionary<string, string> { ["node"] = chosen });

        var clock = new MonotonicClock();
        var timeline = new List<WorkloadEvent>();
        var (readsBefore, writesBefore) = (requests.Reads, requests.Writes);
        var (result, uncordon) = await Faults.Faults.WithFaultAsync(request, null, async (_, token) =>
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
            stop.CancelAfter(options.Timeout);
            await using var watch = ReplicaWatch.Start(client, target, workload, clock, timeline, stop.Token);
            await using var probe = options.HttpProbe is { } http ? Probes.HttpProbe.Start(http, clock) : null;
            var cordoned = watch.Mark($"node {chosen} cordoned");
            var evictions = new Evictions(client, target);
            var evicted = new List<PodState>();
            TimeSpan? recovered = null;
            try
            {
                // The node listed again at the end for any pod that came meanwhile.
                while (await PodsOnAsync(client, target, workload.Selector, chosen, stop.Token) is { Count: > 0 } left)
                {
                    foreach (var pod in left)
                    {
                        if (await evictions.EvictPacedAsync(pod, watch, stop.Token) == EvictionOutcome.Evicted) evicted.Add(pod);
                    }
                }
                watch.Mark($"no pod of the {target.Kind} left on node {chosen}");
                recovered = await watch.UntilRecoveredAsync(cordoned, async t => (await WorkloadStatus.PodsAsync(client, target,
                    workload.Selector, t)).Count(p => p.Ready && !p.Terminating && p.Node != chosen && evicted.All(e => e.Uid != p.Uid))
                    >= watch.Desired, stop.Token);
                watch.Mark($"every replica ready again, none on node {chosen}");
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
                // The timeout: what was seen so far is a lower bound.
            }
            var end = recovered ?? clock.Elapsed;
            var after = await WorkloadStatus.ReadAsync(client, target, token);
            var capacity = watch.Capacity(options.MinReady, end);
            var how = $"from the cordon of {chosen} to the {target.Kind}'s watch event with readyReplicas at {watch.Desired} and every "
                + $"ready replica on another node, none of the evicted pods among them, on the drill's monotonic clock";
            return new NodeDrainResult(target.Name, chosen, watch.Desired, budgets, evicted.Select(p => p.Name).ToList(),
                after.Pods.Where(p => before.Pods.All(b => b.Uid != p.Uid)).Select(p => $"{p.Name} on {p.Node ?? "no node"}").ToList(),
                new Measurement("recovery time", (end - cordoned).TotalSeconds, "s", options.Rto?.TotalSeconds, how)
                {
                    MoreThan = recovered is null,
                },
                capacity.Lowest, capacity.Below,
                evictions.RefusedFigure,
                [.. timeline], new ApiRequests(requests.Reads - readsBefore, requests.Writes - writesBefore, end - cordoned))
            {
                ClockOrigin = clock.Origin,
                HttpProbe = probe is null ? null : await probe.StopAsync(),
            };
        }, cancellationToken);
        return result with { Uncordon = uncordon };
    }

    /// <summary>The node named, else the one running most of the workload's pods; one running none of them is refused.</summary>
    private static string Choose(KubernetesTarget target, WorkloadStatus status, string? node)
    {
        var used = status.Pods.Where(p => p.Node is not null).GroupBy(p => p.Node!).OrderByDescending(g => g.Count())
            .ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key).ToList();
        if (node is null) return used.FirstOrDefault() ?? throw DrToolsException.Refused($"node drain on {target.Name}: none of its pods "
            + "runs on a node");
        return used.Contains(node) ? node
            : throw DrToolsException.Refused($"node drain on {target.Name}: node {node} runs none of its pods (they run on "
                + $"{string.Join(", ", used)}): draining it measures nothing", DrErrorKind.InvalidArgument);
    }

    /// <summary>The workload's pods on the node that are not on their way out.</summary>
    private static async Task<IReadOnlyList<PodState>> PodsOnAsync(IKubernetes client, KubernetesTarget target, string selector,
        string node, CancellationToken cancellationToken) =>
        (await WorkloadStatus.PodsAsync(client, target, selector, cancellationToken)).Where(p => p.Node == node && !p.Terminating).ToList();
}
