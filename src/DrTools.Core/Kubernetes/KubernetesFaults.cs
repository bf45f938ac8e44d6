using DrTools.Core.Faults;

namespace DrTools.Core.Kubernetes;

/// <summary>
/// The fault library's Kubernetes kinds, and requests for them. Recorded and undone like every fault (fault list, fault
/// stop --all after a SIGKILL): the record keeps the kubeconfig, context and subject, so any process can undo it.
/// </summary>
public static class KubernetesFaults
{
    internal static IReadOnlyList<IFaultKind> Kinds { get; } = [new CordonFault(), new ScaleFault()];

    /// <summary>
    /// The request for <paramref name="kind"/> on <paramref name="target"/>, allowed for drills; its member is the API
    /// server, named after the fault's subject (<paramref name="subject"/>: a node, the workload).
    /// </summary>
    public static FaultRequest Request(FaultKind kind, KubernetesTarget target, string subject,
        IReadOnlyDictionary<string, string> parameters)
    {
        target.DemandDrillAllowed($"{kind} fault");
        var server = target.Server;
        return new FaultRequest(kind, new FaultMember(subject, server.Host, server.Port)) { Kubernetes = target, Parameters = parameters };
    }

    /// <summary>The cluster of a Kubernetes fault's request; a database target's refused, naming where these faults are started.</summary>
    internal static KubernetesTarget TargetOf(FaultRequest request) => request.Kubernetes
        ?? throw new DrToolsException($"{request.Kind} is a Kubernetes fault: start it on a Kubernetes target "
            + $"(drtools kubernetes {request.Kind.ToString().ToLowerInvariant()}).", DrErrorKind.InvalidArgument);

    /// <summary>What a Kubernetes fault's record keeps: the target and the kind's own values.</summary>
    internal static IReadOnlyDictionary<string, string> State(KubernetesTarget target, params (string Key, string Value)[] values)
    {
        var state = new Dictionary<string, string>(target.State());
        foreach (var (key, value) in values) state[key] = value;
        return state;
    }
}
