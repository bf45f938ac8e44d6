using System.Management.Automation;
using DrTools.Core.Probes;

namespace DrTools.PowerShell;

/// <summary>Base of the cmdlets that can run an application-level HTTP probe while they act (a drill, a held fault).</summary>
public abstract class ProbedTargetCmdlet : DbTargetCmdlet
{
    [Parameter(HelpMessage = "URL the application answers on (e.g. its health endpoint), probed with GET throughout: error rate, "
        + "p50/p95/p99 latency, longest run of failures, time to recover.")]
    [ValidateNotNullOrEmpty]
    public string? HttpProbe { get; set; }

    [Parameter(HelpMessage = "The status an answered HTTP probe attempt returns (default 200).")]
    [ValidateRange(100, 599)]
    public int HttpExpectStatus { get; set; } = 200;

    [Parameter(HelpMessage = "HTTP probe attempts per second (default 5).")]
    [ValidateRange(ProbeOptions.MinRate, ProbeOptions.MaxRate)]
    public double HttpProbeRate { get; set; } = 5;

    [Parameter(HelpMessage = "Target: most HTTP probe attempts that may fail, in percent.")]
    [ValidateRange(0, 100)]
    public double? MaxErrorRate { get; set; }

    [Parameter(HelpMessage = "Target: most p99 latency of the HTTP probe's answered attempts, e.g. 500ms.")]
    [DurationTransformation(Positive = true)]
    public TimeSpan? P99 { get; set; }

    /// <summary>The HTTP probe the user asked for, or null; targets without a URL are refused.</summary>
    protected HttpProbeOptions? HttpProbeOptions() => RunOperation(_ => Task.FromResult(
        Core.Probes.HttpProbeOptions.From(HttpProbe, HttpExpectStatus, HttpProbeRate, MaxErrorRate, P99, ("-HttpProbe",
            "-MaxErrorRate and -P99"))));
}
