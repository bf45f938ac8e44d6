using k8s;
using k8s.Models;

namespace DrTools.Core.Kubernetes;

/// <summary>Reads a target's workload, whatever its kind: the one place a kind's API is called.</summary>
internal static class Workloads
{
    public static async Task<WorkloadReading> ReadAsync(IKubernetes client, KubernetesTarget target, CancellationToken cancellationToken)
    {
        var (kind, name) = Named(target);
        var what = $"read the {WorkloadKinds.Describe(kind).ToLowerInvariant()}";
        return await KubernetesCalls.RunAsync(target, what, async token => kind switch
        {
            WorkloadKind.Deployment => Reading(await client.AppsV1.ReadNamespacedDeploymentAsync(name, target.Namespace,
                cancellationToken: token)),
            WorkloadKind.StatefulSet => Reading(await client.AppsV1.ReadNamespacedStatefulSetAsync(name, target.Namespace,
                cancellationToken: token)),
            WorkloadKind.Selector => await SelectedPods.ReadAsync(client, target, name, token),
            _ => throw new System.Diagnostics.UnreachableException(kind.ToString()),
        }, cancellationToken);
    }

    /// <summary>
    /// The workload's desired count with its pods listed, the ready ones (not terminating) by uid: what a drill's watch of
    /// those pods goes on from (<see cref="SelectedPods.WatchAsync"/>).
    /// </summary>
    public static async Task<WorkloadReading> ReadPodsAsync(IKubernetes client, KubernetesTarget target,
        CancellationToken cancellationToken)
    {
        var workload = await ReadAsync(client, target, cancellationToken);
        return workload.ReadyPods is null
            ? await KubernetesCalls.RunAsync(target, "list its pods", token => SelectedPods.ReadAsync(client, target, workload, token),
                cancellationToken)
            : workload;
    }

    /// <summary>
    /// The watch event a recovery ends at, for its method: "the pod watch event with 3 of the Deployment's pods ready".
    /// </summary>
    public static string ReadyEvent(KubernetesTarget target, int desired) => Named(target).Kind switch
    {
        WorkloadKind.Selector => $"the pod watch event with {desired} of the pods the selector selects ready (not terminating; a "
            + "pod made again without the labels it selects is not among them)",
        var kind => $"the pod watch event with {desired} of the {kind}'s pods ready (not terminating, by its selector)",
    };

    /// <summary>The API's resource of the target's kind, as RBAC names it; a label selector's pods have no replicas to set.</summary>
    public static string Resource(KubernetesTarget target) => Named(target).Kind switch
    {
        WorkloadKind.Deployment => "deployments",
        WorkloadKind.StatefulSet => "statefulsets",
        var kind => throw new DrToolsException($"{target.Name}: the {WorkloadKinds.Describe(kind)} have no replica count to scale: "
            + "name a Deployment or a StatefulSet.", DrErrorKind.InvalidArgument),
    };

    /// <summary>Sets the workload's desired replicas through its scale subresource, as kubectl scale does.</summary>
    public static async Task ScaleAsync(IKubernetes client, KubernetesTarget target, int replicas, CancellationToken cancellationToken)
    {
        var (kind, name) = Named(target);
        var patch = new V1Patch($$$"""{"spec":{"replicas":{{{replicas}}}}}""", V1Patch.PatchType.MergePatch);
        await KubernetesCalls.RunAsync(target, $"scale it to {replicas}", async token => kind switch
        {
            WorkloadKind.Deployment => await client.AppsV1.PatchNamespacedDeploymentScaleAsync(patch, name, target.Namespace,
                cancellationToken: token),
            WorkloadKind.StatefulSet => await client.AppsV1.PatchNamespacedStatefulSetScaleAsync(patch, name, target.Namespace,
                cancellationToken: token),
            _ => throw new System.Diagnostics.UnreachableException(kind.ToString()),
        }, cancellationToken);
    }

    private static (WorkloadKind Kind, string Name) Named(KubernetesTarget target) => target switch
    {
        // An empty label selector selects every pod of the namespace: never what a drill on "a workload" meant.
        { Kind: { } kind, Workload: { } name } when string.IsNullOrWhiteSpace(name) =>
            throw new DrToolsException($"namespace {target.Namespace}: an empty {kind.ToString().ToLowerInvariant()} names no workload.",
                DrErrorKind.InvalidArgument),
        { Kind: { } kind, Workload: { } name } => (kind, name),
        _ => throw new DrToolsException($"{target.Name}: no workload named (a Deployment, a StatefulSet or a label selector).",
            DrErrorKind.InvalidArgument),
    };

    private static WorkloadReading Reading(V1Deployment deployment) => new(deployment.Spec.Replicas ?? 1,
        deployment.Status?.ReadyReplicas ?? 0, deployment.Status?.AvailableReplicas ?? 0, Selector(deployment.Spec.Selector),
        deployment.Metadata.ResourceVersion);

    // A 1.20 StatefulSet has no availableReplicas: its ready ones are what it serves with.
    private static WorkloadReading Reading(V1StatefulSet set) => new(set.Spec.Replicas ?? 1, set.Status?.ReadyReplicas ?? 0,
        set.Status?.AvailableReplicas ?? set.Status?.ReadyReplicas ?? 0, Selector(set.Spec.Selector), set.Metadata.ResourceVersion);

    /// <summary>The selector in the API's query form, its expressions too: labels alone would select pods it does not.</summary>
    internal static string Selector(V1LabelSelector selector) => string.Join(",",
        (selector.MatchLabels ?? new Dictionary<string, string>()).Select(l => $"{l.Key}={l.Value}")
            .Concat((selector.MatchExpressions ?? []).Select(e => e.OperatorProperty switch
            {
                "In" => $"{e.Key} in ({string.Join(",", e.Values)})",
                "NotIn" => $"{e.Key} notin ({string.Join(",", e.Values)})",
                "Exists" => e.Key,
                "DoesNotExist" => $"!{e.Key}",
                var other => throw new DrToolsException($"label selector operator {other} of {e.Key} is not one Kubernetes has.",
                    DrErrorKind.InvalidArgument),
            })));
}
