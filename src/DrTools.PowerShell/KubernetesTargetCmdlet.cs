using System.Management.Automation;
using DrTools.Core.Kubernetes;

namespace DrTools.PowerShell;

/// <summary>Base of the cmdlets that work on a Kubernetes namespace or workload, named as kubectl names them.</summary>
public abstract class KubernetesTargetCmdlet : DrCmdlet
{
    protected const string NamespaceSet = "Namespace";
    protected const string DeploymentSet = "Deployment";
    protected const string StatefulSetSet = "StatefulSet";
    protected const string SelectorSet = "Selector";

    [Parameter(
        Mandatory = true,
        Position = 0
    )]
    [ValidateNotNullOrEmpty]
    public string Namespace { get; set; } = "";

    [Parameter(
        Mandatory = true,
        ParameterSetName = DeploymentSet
    )]
    [ValidateNotNullOrEmpty]
    public string? Deployment { get; set; }

    [Parameter(
        Mandatory = true,
        ParameterSetName = StatefulSetSet
    )]
    [ValidateNotNullOrEmpty]
    public string? StatefulSet { get; set; }

    [Parameter(
        Mandatory = true,
        ParameterSetName = SelectorSet
    )]
    [ValidateNotNullOrEmpty]
    public string? Selector { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Kubeconfig { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Context { get; set; }

    /// <summary>The target the parameters name; <paramref name="allowDrill"/> when the user named its namespace for drills.</summary>
    protected KubernetesTarget Target(bool allowDrill = false)
    {
        var kubeconfig = Kubeconfig is null ? null : GetUnresolvedProviderPathFromPSPath(Kubeconfig);
        return ParameterSetName switch
        {
            DeploymentSet => new KubernetesTarget(kubeconfig, Context, Namespace, WorkloadKind.Deployment, Deployment, allowDrill),
            StatefulSetSet => new KubernetesTarget(kubeconfig, Context, Namespace, WorkloadKind.StatefulSet, StatefulSet, allowDrill),
            SelectorSet => new KubernetesTarget(kubeconfig, Context, Namespace, WorkloadKind.Selector, Selector, allowDrill),
            _ => new KubernetesTarget(kubeconfig, Context, Namespace, AllowDrill: allowDrill),
        };
    }
}
