namespace DrTools.Core.Kubernetes;

/// <summary>
/// What a workload's own object says: replicas desired, ready and available, the label selector of its pods, and the
/// version read (a watch from it misses no change after the read). A label selector's reading is its pods' list:
/// <see cref="ReadyPods"/> holds the uids of the ready ones, which its watch goes on from.
/// </summary>
internal sealed record WorkloadReading(int Desired, int Ready, int Available, string Selector, string ResourceVersion,
    IReadOnlySet<string>? ReadyPods = null);
