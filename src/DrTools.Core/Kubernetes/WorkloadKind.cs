namespace DrTools.Core.Kubernetes;

/// <summary>The workloads a Kubernetes drill targets: the one list every surface (parameters, CLI, runbooks) takes.</summary>
public enum WorkloadKind
{
    Deployment,
    StatefulSet,
}
