using System.Management.Automation;
using DrTools.Core.Probes;

namespace DrTools.PowerShell;

/// <summary>Base of the cmdlets that can run an application-level HTTP probe while they act (a drill, a held fault).</summary>
public abstract class ProbedTargetCmdlet : DbTargetCmdlet
{
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

    /// <summary>The HTTP probe the user asked for, or null; targets without a URL are refused.</summary>
    protected HttpProbeOptions? HttpProbeOptions() => RunOperation(_ => Task.FromResult(
        Core.Probes.HttpProbeOptions.From(HttpProbe, HttpExpectStatus, HttpProbeRate, MaxErrorRate, P99, ("-HttpProbe",
            "-MaxErrorRate and -P99"))));
}
