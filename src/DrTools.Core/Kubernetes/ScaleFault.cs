using System.Globalization;
using DrTools.Core.Faults;

namespace DrTools.Core.Kubernetes;

/// <summary>A workload scaled to a replica count (kubectl scale); scaled back to the count it had on undo.</summary>
internal sealed class ScaleFault : IFaultKind
{
    public FaultKind Kind => FaultKind.Scale;
    public bool OnKubernetes => true;
    public IReadOnlyDictionary<string, string> Parameters { get; } = new Dictionary<string, string>
    {
        ["replicas"] = "the replica count to scale the workload to (0 or more)",
    };

    public void Check(FaultRequest request)
    {
        var target = KubernetesFaults.TargetOf(request);
        if (target.Kind is null)
        {
            throw new DrToolsException("Scale: name the workload (a Deployment or a StatefulSet).", DrErrorKind.InvalidArgument);
        }
        _ = Workloads.Resource(target);
        _ = Replicas(request.Parameters);
    }

    public string Describe(FaultRequest request) =>
        $"Scale of {KubernetesFaults.TargetOf(request).Name} to {Replicas(request.Parameters)} replica(s), scaled back on undo";

    public async Task<IReadOnlyDictionary<string, string>> PrepareAsync(string id, FaultRequest request,
        CancellationToken cancellationToken)
    {
        var target = KubernetesFaults.TargetOf(request);
        using var client = target.Connect();
        var before = await Workloads.ReadAsync(client, target, cancellationToken);
        await KubernetesCalls.DemandMayAsync(client, target, "patch", Workloads.Resource(target), cancellationToken, "scale");
        return KubernetesFaults.State(target, ("replicas", Replicas(request.Parameters).ToString(CultureInfo.InvariantCulture)),
            ("replicasBefore", before.Desired.ToString(CultureInfo.InvariantCulture)));
    }

    public async Task ApplyAsync(FaultRecord record, CancellationToken cancellationToken) =>
        await ScaleAsync(record, "replicas", cancellationToken);

    public async Task<string> UndoAsync(FaultRecord record, CancellationToken cancellationToken)
    {
        try
        {
            await ScaleAsync(record, "replicasBefore", cancellationToken);
            return $"scaled back to {record.State["replicasBefore"]} replica(s)";
        }
        catch (DrToolsException e) when (e.InnerException is k8s.Autorest.HttpOperationException
            { Response.StatusCode: System.Net.HttpStatusCode.NotFound })
        {
            return "the workload is gone: nothing to scale back";
        }
    }

    private static async Task ScaleAsync(FaultRecord record, string count, CancellationToken cancellationToken)
    {
        var target = KubernetesTarget.FromState(record.State);
        using var client = target.Connect();
        await Workloads.ScaleAsync(client, target, int.Parse(record.State[count], CultureInfo.InvariantCulture), cancellationToken);
    }

    private static int Replicas(IReadOnlyDictionary<string, string> parameters) =>
        parameters.TryGetValue("replicas", out var text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture,
            out var replicas)
            ? replicas
            : throw new DrToolsException($"Scale: replicas={text ?? "(none)"}: give the replica count, 0 or more (replicas=N).",
                DrErrorKind.InvalidArgument);
}
