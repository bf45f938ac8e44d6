using System.Management.Automation;
using DrTools.Core.Kubernetes;

namespace DrTools.PowerShell;

/// <summary>
/// Deletes a healthy workload's pods and measures, from the API server's watch, the time until every replica is ready
/// again with none of the deleted pods among them.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "DrPodRecovery", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High,
    DefaultParameterSetName = DeploymentSet)]
[OutputType(typeof(PodRecoveryResult))]
public sealed class InvokeDrPodRecoveryCommand : KubernetesDrillCmdlet
{
    [Parameter]
    [ValidateRange(1, 10_000)]
    public int? Count { get; set; }

    [Parameter]
    [ValidateRange(0.001, 100)]
    public double? Percent { get; set; }

    [Parameter]
    public SwitchParameter Evict { get; set; }

    protected override void ProcessRecord()
    {
        var target = DrillTarget();
        var options = DrillOptions();
        var deletion = new PodDeletion(Count, Percent, Evict);
        var action = $"{deletion.Describe()} of {target.Name} and measure its recovery";
        if (!ShouldProcess($"{action}.", $"{action}. Continue?", "Invoke-DrPodRecovery")) return;
        WriteObject(RunOperation(token => PodRecovery.RunAsync(target, deletion, options, token)));
    }
}
