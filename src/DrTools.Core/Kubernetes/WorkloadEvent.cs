namespace DrTools.Core.Kubernetes;

/// <summary>A moment of a Kubernetes drill on its monotonic clock: a pod deleted, a watch event with the ready count.</summary>
public sealed record WorkloadEvent(TimeSpan At, string What);
