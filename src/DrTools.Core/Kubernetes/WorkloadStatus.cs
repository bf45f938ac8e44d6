using k8s;
using k8s.Models;

namespace DrTools.Core.Kubernetes;

/// <summary>
/// A workload's replicas and pods (or every pod of a namespace), and the nodes they run on, with a verdict: healthy only
/// when every desired replica is ready and available, every pod is ready (none crash-looping or unschedulable), and no
/// node one runs on is cordoned or not Ready. The problems name the pod or node.
/// </summary>
public sealed record WorkloadStatus(string Target, int Desired, int Ready, int Available, IReadOnlyList<PodState> Pods,
    IReadOnlyList<string> Problems)
{
    public bool Healthy => Problems.Count == 0;

    /// <summary>The label selector of the workload's pods, as the API takes it; null for a namespace (every pod).</summary>
    public string? Selector { get; init; }

    /// <summary>The disruption budgets covering the pods, with the evictions each allows now.</summary>
    public IReadOnlyList<DisruptionBudget> Budgets { get; init; } = [];

    public string Verdict => Healthy ? $"healthy: {Ready}/{Desired} ready" : $"unhealthy: {string.Join("; ", Problems)}";

    /// <summary>
    /// The status now, with the disruption budgets covering its pods; <paramref name="expectReplicas"/>, when given, is the
    /// desired count the workload must have (a pre-check's "3 replicas expected"), another count a problem.
    /// </summary>
    public static async Task<WorkloadStatus> ReadAsync(KubernetesTarget target, CancellationToken cancellationToken,
        int? expectReplicas = null)
    {
        using var client = target.Connect();
        var status = await ReadAsync(client, target, cancellationToken);
        if (expectReplicas is { } expected && expected != status.Desired)
        {
            status = status with { Problems = [$"{status.Desired} replicas desired, {expected} expected", .. status.Problems] };
        }
        return status with
        {
            Budgets = await DisruptionBudgets.CoveringAsync(client, target, status.Pods.Select(p => p.Uid).ToHashSet(), cancellationToken),
        };
    }

    internal static async Task<WorkloadStatus> ReadAsync(IKubernetes client, KubernetesTarget target, CancellationToken cancellationToken)
    {
        var workload = target.Kind is null ? null : await Workloads.ReadAsync(client, target, cancellationToken);
        var states = await PodsAsync(client, target, workload?.Selector, cancellationToken);
        var nodes = await KubernetesCalls.RunAsync(target, "list the nodes",
            token => client.CoreV1.ListNodeAsync(cancellationToken: token), cancellationToken);
        var live = states.Where(p => !p.Terminating).ToList();
        // A namespace: every pod in it is desired, and counted ready and available when ready.
        var (desired, ready, available) = workload is { } w
            ? (w.Desired, w.Ready, w.Available)
            : (live.Count, live.Count(p => p.Ready), live.Count(p => p.Ready));
        var problems = new List<string>();
        if (workload is not null && ready < desired) problems.Add($"{ready} of {desired} replicas ready");
        if (workload is not null && available < desired) problems.Add($"{available} of {desired} replicas available");
        foreach (var pod in live.Where(p => !p.Ready))
        {
            // A Running pod here is one whose readiness failed: said, or the verdict reads as though it were fine.
            problems.Add($"pod {pod.Name} is {pod.Phase}{(pod.Node is null ? ", not scheduled" : $" on {pod.Node}")}"
                + (pod.Phase == "Running" ? ", not ready" : "") + (pod.Waiting is null ? "" : $" ({pod.Waiting})"));
        }
        var used = states.Select(p => p.Node).OfType<string>().ToHashSet();
        foreach (var node in nodes.Items.Where(n => used.Contains(n.Metadata.Name)).OrderBy(n => n.Metadata.Name, StringComparer.Ordinal))
        {
            if (node.Spec?.Unschedulable == true) problems.Add($"node {node.Metadata.Name} is cordoned");
            if (node.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready") is { Status: not "True" } notReady)
            {
                problems.Add($"node {node.Metadata.Name} is not Ready ({notReady.Reason})");
            }
        }
        return new WorkloadStatus(target.Name, desired, ready, available, states, problems) { Selector = workload?.Selector };
    }

    /// <summary>The pods <paramref name="selector"/> selects (null: every pod of the namespace), by name: one request.</summary>
    internal static async Task<IReadOnlyList<PodState>> PodsAsync(IKubernetes client, KubernetesTarget target, string? selector,
        CancellationToken cancellationToken) =>
        (await KubernetesCalls.RunAsync(target, "list the pods",
            token => client.CoreV1.ListNamespacedPodAsync(target.Namespace, labelSelector: selector, cancellationToken: token),
            cancellationToken)).Items.Select(State).OrderBy(p => p.Name, StringComparer.Ordinal).ToList();

    /// <summary>A pod as listed; why it waits is its container's reason, or the scheduler's when it has no node.</summary>
    internal static PodState State(V1Pod pod)
    {
        var containers = pod.Status?.ContainerStatuses ?? [];
        var conditions = pod.Status?.Conditions ?? [];
        var ready = conditions.Any(c => c.Type == "Ready" && c.Status == "True");
        var unscheduled = conditions.FirstOrDefault(c => c.Type == "PodScheduled" && c.Status == "False");
        var waiting = containers.Select(c => c.State?.Waiting?.Reason).FirstOrDefault(r => r is not null)
            ?? (unscheduled is null ? null : $"{unscheduled.Reason}: {unscheduled.Message}");
        var controller = pod.Metadata.OwnerReferences?.FirstOrDefault(o => o.Controller == true);
        return new PodState(pod.Metadata.Uid, pod.Metadata.Name, pod.Spec?.NodeName, pod.Status?.Phase ?? "Unknown", ready,
            containers.Sum(c => c.RestartCount), pod.Metadata.DeletionTimestamp is not null, waiting)
        {
            Controller = controller is null ? null : $"{controller.Kind}/{controller.Name}",
        };
    }
}
