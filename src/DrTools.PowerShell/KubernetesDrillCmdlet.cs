using System.Management.Automation;
using DrTools.Core.Kubernetes;

namespace DrTools.PowerShell;

/// <summary>Base of the Kubernetes drill cmdlets: what the drill is held to and how long it watches.</summary>
public abstract class KubernetesDrillCmdlet : KubernetesTargetCmdlet
{
    [Parameter]
    [DurationTransformation(Positive = true)]
    public TimeSpan? Rto { get; set; }

    [Parameter]
    [ValidateRange(0, 10_000)]
    public int? MinReady { get; set; }

    [Parameter]
    [DurationTransformation(Positive = true)]
    public TimeSpan Timeout { get; set; } = KubernetesDrillOptions.DefaultTimeout;

    [Parameter]
    public string[]? AllowDrillOn { get; set; }

    /// <summary>The target, allowed for drills when -AllowDrillOn (or DRTOOLS_ALLOW_DRILL_ON) names its namespace.</summary>
    protected KubernetesTarget DrillTarget() => Target(KubernetesTarget.AllowedBy(Namespace, AllowDrillOn));

    protected KubernetesDrillOptions DrillOptions() => new() { Rto = Rto, MinReady = MinReady, Timeout = Timeout };
}
