using System.Management.Automation;
using DrTools.Core.Kubernetes;

namespace DrTools.PowerShell;

/// <summary>
/// A node taken away by the user's own fault (a cloud API call: -FaultCommand or -FaultScript), measured from the API
/// server's watch until the workload is whole on other nodes.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "DrNodeLoss", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High,
    DefaultParameterSetName = DeploymentSet)]
[OutputType(typeof(NodeLossResult))]
public sealed class InvokeDrNodeLossCommand : KubernetesDrillCmdlet
{
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Node { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? FaultCommand { get; set; }

    [Parameter]
    public ScriptBlock? FaultScript { get; set; }

    protected override void ProcessRecord()
    {
        var target = DrillTarget();
        var options = DrillOptions();
        var action = $"Take {(Node is null ? "the node running most of its pods" : $"node {Node}")} of {target.Name} away with "
            + $"{(FaultScript is null ? $"the fault command '{FaultCommand}'" : "the fault script")}";
        if (!ShouldProcess($"{action}.", $"{action}. Continue?", "Invoke-DrNodeLoss")) return;
        // The fault script runs on this pipeline, through the queue of the drill while it runs.
        WriteObject(RunServingPipeline((queue, token) => NodeLoss.RunAsync(target, Node, FaultCommand,
            FaultScript is null ? null : t => queue.InvokeAsync(() => StepScript.Invoke(FaultScript, [], t), t), options, token),
            target.Name));
    }
}
