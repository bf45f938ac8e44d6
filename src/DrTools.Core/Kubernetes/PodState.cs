namespace DrTools.Core.Kubernetes;

/// <summary>One pod of a workload as the API server has it.</summary>
public sealed record PodState(string Name, string? Node, string Phase, bool Ready, int Restarts, bool Terminating, string? Waiting);
