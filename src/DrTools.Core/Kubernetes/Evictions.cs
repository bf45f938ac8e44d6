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

    /// <summary>The eviction requests a disruption budget refused (429).</summary>
    public int Refused { get; private set; }

    /// <summary>
    /// Evicts the pod, asking again each time a budget refuses: at the workload's next change (a new replica ready frees
    /// the budget), or — when it is whole already and the budget's status has yet to follow its pods, or the budget
    /// allows none at all — after 1 s, then 2 s, 4 s, at most 5 s while the refusals go on. The pacing costs eviction
    /// requests only, no reads. Each refusal and the eviction are moments of the timeline.
    /// </summary>
    public async Task<EvictionOutcome> EvictPacedAsync(PodState pod, ReplicaWatch watch, CancellationToken cancellationToken)
    {
        EvictionOutcome outcome;
        var wait = TimeSpan.FromSeconds(1);
        var asked = watch.Now;
        while ((outcome = await EvictAsync(pod, cancellationToken)) == EvictionOutcome.RefusedByBudget)
        {
            Refused++;
            watch.Mark($"eviction of pod {pod.Name} asked, refused by its disruption budget", asked);
            var whole = watch.Ready >= watch.Desired;
            await watch.WaitForChangeAsync(whole ? wait : TimeSpan.FromSeconds(5), cancellationToken);
            if (whole) wait = TimeSpan.FromSeconds(Math.Min(5, wait.TotalSeconds * 2));
            asked = watch.Now;
        }
        if (outcome == EvictionOutcome.Evicted) watch.Mark($"eviction of pod {pod.Name} asked, granted", asked);
        return outcome;
    }

    /// <summary>The refusals as a figure: no target, an eviction refused is what a budget is for.</summary>
    public Measurement RefusedFigure => new("evictions refused by a disruption budget", Refused, "evictions", null,
        "eviction requests the API server answered 429 (a budget allows no disruption now); each pod asked again at the "
        + "workload's next change, or while it is whole after 1, 2, 4, then every 5 s");

    public async Task<EvictionOutcome> EvictAsync(PodState pod, CancellationToken cancellationToken)
    {
        while (true)
        {
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
