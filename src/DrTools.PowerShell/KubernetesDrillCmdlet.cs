using System.Management.Automation;
using DrTools.Core.Kubernetes;
using DrTools.Core.Probes;

namespace DrTools.PowerShell;

/// <summary>
/// Base of the Kubernetes drill cmdlets: what the drill is held to, how long it watches, and the HTTP probe of the
/// application's URL beside it. The probe's parameters are those of <see cref="ProbedTargetCmdlet"/> (C# has no mixin, and
/// dynamic parameters would hide them from the cmdlets' metadata): both map them with the one Core HttpProbeOptions.From.
/// </summary>
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
    public TimeSpan? Timeout { get; set; }

    [Parameter]
    public string[]? AllowDrillOn { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? HttpProbe { get; set; }

    [Parameter]
    [ValidateRange(100, 599)]
    public int HttpExpectStatus { get; set; } = 200;

    [Parameter]
    [ValidateRange(ProbeOptions.MinRate, ProbeOptions.MaxRate)]
    public double HttpProbeRate { get; set; } = 5;

    [Parameter]
    [ValidateRange(0, 100)]
    public double? MaxErrorRate { get; set; }

    [Parameter]
    [DurationTransformation(Positive = true)]
    public TimeSpan? P99 { get; set; }

    /// <summary>The target, allowed for drills when -AllowDrillOn (or DRTOOLS_ALLOW_DRILL_ON) names its namespace.</summary>
    protected KubernetesTarget DrillTarget() => Target(KubernetesTarget.AllowedBy(Namespace, AllowDrillOn));

    protected KubernetesDrillOptions DrillOptions() => new()
    {
        Rto = Rto,
        MinReady = MinReady,
        Timeout = Timeout,
        HttpProbe = RunOperation(_ => Task.FromResult(HttpProbeOptions.From(HttpProbe, HttpExpectStatus, HttpProbeRate, MaxErrorRate, P99,
            ("-HttpProbe", "-MaxErrorRate and -P99")))),
    };
}
