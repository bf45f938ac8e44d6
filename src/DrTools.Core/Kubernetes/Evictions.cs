using k8s;
using k8s.Autorest;
using k8s.Models;

namespace DrTools.Core.Kubernetes;

/// <summary>What one eviction request got: the pod evicted, refused by a disruption budget (a figure, not an error), or gone.</summary>
internal enum EvictionOutcome
{
    Evicted,
    RefusedByBudget,
    Gone,
}

/// <summary>
/// Evicts pods as kubectl drain does, through the API's eviction subresource, so PodDisruptionBudgets are respected:
/// policy/v1, falling back once to policy/v1beta1 where the server answers a v1 Eviction with 400 (1.21 and older).
/// </summary>
internal sealed class Evictions(IKubernetes client, KubernetesTarget target)
{
    private string _version = "policy/v1";

    /// <summary>Requests sent, the fallback's included: what the drill asked of the API server.</summary>
    public int Requests { get; private set; }

    public async Task<EvictionOutcome> EvictAsync(PodState pod, CancellationToken cancellationToken)
    {
        while (true)
        {
            Requests++;
            try
            {
                await client.CoreV1.CreateNamespacedPodEvictionAsync(new V1Eviction
                {
                    ApiVersion = _version,
                    Kind = "Eviction",
                    Metadata = new V1ObjectMeta { Name = pod.Name, NamespaceProperty = target.Namespace },
                    // By uid: a pod made again under the same name (a StatefulSet's) is not the one chosen.
                    DeleteOptions = new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = pod.Uid } },
                }, pod.Name, target.Namespace, cancellationToken: cancellationToken);
                return EvictionOutcome.Evicted;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.BadRequest
                && _version == "policy/v1"
                && KubernetesCalls.Message(e.Response.Content).Contains("\"policy/v1\"", StringComparison.Ordinal))
            {
                _version = "policy/v1beta1";
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.TooManyRequests)
            {
                return EvictionOutcome.RefusedByBudget;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is System.Net.HttpStatusCode.NotFound
                or System.Net.HttpStatusCode.Conflict)
            {
                return EvictionOutcome.Gone;
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                throw KubernetesCalls.Explain(target, $"evict pod {pod.Name}", e, cancellationToken)!;
            }
        }
    }
}
