using System.Management.Automation;
using DrTools.Core.Kubernetes;

namespace DrTools.PowerShell;

/// <summary>
/// Drains a node of a healthy workload's pods as kubectl drain does (cordoned as a recorded fault, evictions that respect
/// disruption budgets) and measures from the API server's watch how far it fell and how long until it was whole again.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "DrNodeDrain", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High,
    DefaultParameterSetName = DeploymentSet)]
[OutputType(typeof(NodeDrainResult))]
public sealed class InvokeDrNodeDrainCommand : KubernetesDrillCmdlet
{
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Node { get; set; }

    protected override void ProcessRecord()
    {
        var target = DrillTarget();
        var options = DrillOptions();
        var action = $"Drain {(Node is null ? "the node running most of its pods" : $"node {Node}")} of {target.Name}, evicting its pods, "
            + "and uncordon it after";
        if (!ShouldProcess($"{action}.", $"{action}. Continue?", "Invoke-DrNodeDrain")) return;
        WriteObject(RunOperation(token => NodeDrain.RunAsync(target, Node, options, token)));
    }
}
