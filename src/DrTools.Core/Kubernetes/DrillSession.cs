using k8s;

namespace DrTools.Core.Kubernetes;

/// <summary>
/// The start every Kubernetes drill shares: the namespace allowed for drills, a client whose requests are counted, and the
/// workload read healthy (an unhealthy one refused before anything changes).
/// </summary>
internal sealed class DrillSession : IDisposable
{
    private DrillSession(KubernetesTarget target, RequestCount requests, IKubernetes client, WorkloadStatus before)
    {
        (Target, Requests, Client, Before) = (target, requests, client, before);
    }

    public KubernetesTarget Target { get; }
    public RequestCount Requests { get; }
    public IKubernetes Client { get; }

    /// <summary>The workload as read before the drill acts.</summary>
    public WorkloadStatus Before { get; }

    /// <param name="drill">The drill's name in its refusals: "node drain".</param>
    public static async Task<DrillSession> OpenAsync(KubernetesTarget target, string drill, CancellationToken cancellationToken)
    {
        target.DemandDrillAllowed(drill);
        var requests = new RequestCount();
        var client = target.Connect(requests);
        try
        {
            var before = await WorkloadStatus.ReadAsync(client, target, cancellationToken);
            if (!before.Healthy) throw DrToolsException.Refused($"{drill} on {target.Name} refused: it is {before.Verdict}");
            // A pod nothing makes again would be lost for good, and the drill would wait out its timeout for it.
            if (before.Pods.FirstOrDefault(p => p.Controller is null && !p.Terminating) is { } bare)
            {
                throw DrToolsException.Refused($"{drill} on {target.Name} refused: pod {bare.Name} has no controller (no ReplicaSet, "
                    + "StatefulSet, DaemonSet or Job makes it again): the drill would lose it");
            }
            return new DrillSession(target, requests, client, before);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public void Dispose() => Client.Dispose();
}
