using DrTools.Core.Sandboxes;

namespace DrTools.Core.Runbooks;

/// <summary>A runbook target as the run set it up: a database (with its sandbox, when the run made one), or a Kubernetes one.</summary>
internal sealed record ResolvedTarget(Engines.IDrillTarget? Store, Sandbox? Sandbox)
{
    public Kubernetes.KubernetesTarget? Kubernetes { get; init; }
}
