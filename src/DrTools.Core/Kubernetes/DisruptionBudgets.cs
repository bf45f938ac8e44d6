using System.Text.Json;
using k8s;
using k8s.Models;

namespace DrTools.Core.Kubernetes;

/// <summary>
/// Reads the PodDisruptionBudgets of a namespace that cover given pods: policy/v1, else policy/v1beta1 where the server
/// serves only that (Kubernetes 1.20 and older). Both have the same fields DrTools reads.
/// </summary>
internal static class DisruptionBudgets
{
    public static async Task<IReadOnlyList<DisruptionBudget>> CoveringAsync(IKubernetes client, KubernetesTarget target,
        IReadOnlyCollection<string> podUids, CancellationToken cancellationToken)
    {
        var covering = new List<DisruptionBudget>();
        foreach (var budget in await ListAsync(client, target, cancellationToken))
        {
            var selector = Workloads.Selector(budget.Spec.Selector ?? new V1LabelSelector());
            var pods = await KubernetesCalls.RunAsync(target, $"list the pods of disruption budget {budget.Metadata.Name}",
                token => client.CoreV1.ListNamespacedPodAsync(target.Namespace, labelSelector: selector, cancellationToken: token),
                cancellationToken);
            if (!pods.Items.Any(p => podUids.Contains(p.Metadata.Uid))) continue;
            var rule = budget.Spec.MinAvailable is { } min ? $"minAvailable {min.Value}"
                : $"maxUnavailable {budget.Spec.MaxUnavailable?.Value}";
            var status = budget.Status;
            covering.Add(new DisruptionBudget(budget.Metadata.Name, rule, status?.DisruptionsAllowed ?? 0, status?.CurrentHealthy ?? 0,
                status?.DesiredHealthy ?? 0, status?.ExpectedPods ?? 0));
        }
        return covering;
    }

    private static async Task<IList<V1PodDisruptionBudget>> ListAsync(IKubernetes client, KubernetesTarget target,
        CancellationToken cancellationToken)
    {
        try
        {
            return (await client.PolicyV1.ListNamespacedPodDisruptionBudgetAsync(target.Namespace, cancellationToken: cancellationToken))
                .Items;
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            // Served as policy/v1beta1 only: read through the generic API, whose objects have the same fields.
            var listed = await KubernetesCalls.RunAsync(target, "list the disruption budgets (policy/v1beta1)",
                token => client.CustomObjects.ListNamespacedCustomObjectAsync("policy", "v1beta1", target.Namespace,
                    "poddisruptionbudgets", cancellationToken: token), cancellationToken);
            return KubernetesJson.Deserialize<V1PodDisruptionBudgetList>(((JsonElement)listed).GetRawText()).Items;
        }
        catch (Exception e) when (e is HttpRequestException or System.Net.Sockets.SocketException
            or k8s.Autorest.HttpOperationException && !cancellationToken.IsCancellationRequested)
        {
                throw KubernetesCalls.Explain(target, "list the disruption budgets", e, cancellationToken)!;
        }
    }
}
