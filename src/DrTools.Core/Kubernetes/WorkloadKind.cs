namespace DrTools.Core.Kubernetes;

/// <summary>
/// The workloads a Kubernetes drill targets: the one list every surface (parameters, CLI, runbooks) takes. A label
/// selector's workload is the pods it selects when the drill starts, whatever controller makes them.
/// </summary>
public enum WorkloadKind
{
    Deployment,
    StatefulSet,
    Selector,
}
