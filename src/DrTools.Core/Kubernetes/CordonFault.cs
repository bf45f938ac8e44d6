using DrTools.Core.Faults;
using k8s;
using k8s.Models;

namespace DrTools.Core.Kubernetes;

/// <summary>A node marked unschedulable (kubectl cordon); schedulable again on undo. A node cordoned already is refused.</summary>
internal sealed class CordonFault : IFaultKind
{
    public FaultKind Kind => FaultKind.Cordon;
    public bool OnKubernetes => true;
    public IReadOnlyDictionary<string, string> Parameters { get; } = new Dictionary<string, string> { ["node"] = "the node to cordon" };

    public void Check(FaultRequest request)
    {
        KubernetesFaults.TargetOf(request);
        _ = Node(request.Parameters);
    }

    public string Describe(FaultRequest request) =>
        $"Cordon of node {Node(request.Parameters)} ({request.Member.Endpoint}): unschedulable, schedulable again on undo";

    public async Task<IReadOnlyDictionary<string, string>> PrepareAsync(string id, FaultRequest request,
        CancellationToken cancellationToken)
    {
        var (target, name) = (KubernetesFaults.TargetOf(request), Node(request.Parameters));
        using var client = target.Connect();
        var node = await KubernetesCalls.RunAsync(target, $"read node {name}",
            token => client.CoreV1.ReadNodeAsync(name, cancellationToken: token), cancellationToken);
        if (node.Spec?.Unschedulable == true)
        {
            throw DrToolsException.Refused($"Cordon of node {name}: it is cordoned already, and its uncordon is not DrTools' to do",
                DrErrorKind.InvalidOperation);
        }
        await KubernetesCalls.DemandMayAsync(client, target, "patch", "nodes", cancellationToken);
        return KubernetesFaults.State(target, ("node", name));
    }

    public Task ApplyAsync(FaultRecord record, CancellationToken cancellationToken) =>
        SetAsync(record, unschedulable: true, cancellationToken);

    public async Task<string> UndoAsync(FaultRecord record, CancellationToken cancellationToken)
    {
        try
        {
            await SetAsync(record, unschedulable: false, cancellationToken);
            return $"node {record.State["node"]} schedulable again";
        }
        catch (DrToolsException e) when (e.InnerException is k8s.Autorest.HttpOperationException
            { Response.StatusCode: System.Net.HttpStatusCode.NotFound })
        {
            return $"node {record.State["node"]} is gone: nothing to uncordon";
        }
    }

    private static async Task SetAsync(FaultRecord record, bool unschedulable, CancellationToken cancellationToken)
    {
        var target = KubernetesTarget.FromState(record.State);
        var name = record.State["node"];
        using var client = target.Connect();
        var patch = new V1Patch($$$"""{"spec":{"unschedulable":{{{(unschedulable ? "true" : "false")}}}}}""", V1Patch.PatchType.MergePatch);
        await KubernetesCalls.RunAsync(target, $"{(unschedulable ? "cordon" : "uncordon")} node {name}",
            token => client.CoreV1.PatchNodeAsync(patch, name, cancellationToken: token), cancellationToken);
    }

    private static string Node(IReadOnlyDictionary<string, string> parameters) => parameters.TryGetValue("node", out var node)
        ? node
        : throw new DrToolsException("Cordon: name the node (node=NAME).", DrErrorKind.InvalidArgument);
}
