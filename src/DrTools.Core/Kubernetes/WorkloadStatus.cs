using k8s;
using k8s.Autorest;
using k8s.Models;

namespace DrTools.Core.Kubernetes;

/// <summary>
/// A Deployment's replicas and pods, and the nodes they run on, with a verdict: healthy only when every desired
/// replica is ready and available, no pod is crash-looping or unschedulable, and no node it runs on is cordoned.
/// </summary>
public sealed record WorkloadStatus(string Target, int Desired, int Ready, int Available, IReadOnlyList<PodState> Pods,
    IReadOnlyList<string> Problems)
{
    public bool Healthy => Problems.Count == 0;

    public string Verdict => Healthy ? $"healthy: {Ready}/{Desired} ready" : $"unhealthy: {string.Join("; ", Problems)}";

    public static async Task<WorkloadStatus> ReadAsync(KubernetesTarget target, CancellationToken cancellationToken)
    {
        using var client = target.Connect();
        return await ReadAsync(client, target, cancellationToken);
    }

    internal static async Task<WorkloadStatus> ReadAsync(IKubernetes client, KubernetesTarget target, CancellationToken cancellationToken)
    {
        var deployment = await KubernetesCalls.RunAsync(target, "read the deployment",
            token => client.AppsV1.ReadNamespacedDeploymentAsync(target.Deployment, target.Namespace, cancellationToken: token),
            cancellationToken);
        var pods = await KubernetesCalls.RunAsync(target, "list its pods",
            token => client.CoreV1.ListNamespacedPodAsync(target.Namespace, labelSelector: Selector(deployment), cancellationToken: token),
            cancellationToken);
        var nodes = await KubernetesCalls.RunAsync(target, "list the nodes",
            token => client.CoreV1.ListNodeAsync(cancellationToken: token), cancellationToken);
        var states = pods.Items.Select(State).OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        var desired = deployment.Spec.Replicas ?? 1;
        var (ready, available) = (deployment.Status?.ReadyReplicas ?? 0, deployment.Status?.AvailableReplicas ?? 0);
        var problems = new List<string>();
        if (ready < desired) problems.Add($"{ready} of {desired} replicas ready");
        if (available < desired) problems.Add($"{available} of {desired} replicas available");
        foreach (var pod in states.Where(p => !p.Terminating && !p.Ready))
        {
            problems.Add($"pod {pod.Name} is {pod.Phase}{(pod.Node is null ? ", not scheduled" : $" on {pod.Node}")}"
                + (pod.Waiting is null ? "" : $" ({pod.Waiting})"));
        }
        var used = states.Select(p => p.Node).OfType<string>().ToHashSet();
        foreach (var node in nodes.Items.Where(n => used.Contains(n.Metadata.Name)))
        {
            if (node.Spec?.Unschedulable == true) problems.Add($"node {node.Metadata.Name} is cordoned");
            if (node.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready") is { Status: not "True" } notReady)
            {
                problems.Add($"node {node.Metadata.Name} is not Ready ({notReady.Reason})");
            }
        }
        return new WorkloadStatus(target.Name, desired, ready, available, states, problems);
    }

    internal static string Selector(V1Deployment deployment) =>
        string.Join(",", (deployment.Spec.Selector.MatchLabels ?? new Dictionary<string, string>()).Select(l => $"{l.Key}={l.Value}"));

    private static PodState State(V1Pod pod)
    {
        var containers = pod.Status?.ContainerStatuses ?? [];
        var ready = pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;
        var waiting = containers.Select(c => c.State?.Waiting?.Reason).FirstOrDefault(r => r is not null);
        return new PodState(pod.Metadata.Name, pod.Spec?.NodeName, pod.Status?.Phase ?? "Unknown", ready,
            containers.Sum(c => c.RestartCount), pod.Metadata.DeletionTimestamp is not null, waiting);
    }
}
