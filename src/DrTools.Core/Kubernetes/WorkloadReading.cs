namespace DrTools.Core.Kubernetes;

/// <summary>
/// What a workload's own object says: replicas desired, ready and available, the label selector of its pods, and the
/// version read (a watch from it misses no change after the read). A reading of the workload's pods (a drill's, and
/// every label selector's) holds in <see cref="ReadyPods"/> the uids of the ready ones, which the pod watch goes on from.
/// </summary>
internal sealed record WorkloadReading(int Desired, int Ready, int Available, string Selector, string ResourceVersion,
    IReadOnlySet<string>? ReadyPods = null);
