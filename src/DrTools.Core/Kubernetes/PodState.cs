namespace DrTools.Core.Kubernetes;

/// <summary>One pod of a workload as the API server has it; its uid tells a pod made again under the same name (a StatefulSet's).</summary>
public sealed record PodState(string Uid, string Name, string? Node, string Phase, bool Ready, int Restarts, bool Terminating,
    string? Waiting)
{
    /// <summary>What makes the pod again when it goes ("ReplicaSet/web-5d9f"); null for a pod nothing makes again.</summary>
    public string? Controller { get; init; }
}
