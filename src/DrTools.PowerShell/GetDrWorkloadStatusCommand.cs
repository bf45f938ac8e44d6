using System.Management.Automation;
using DrTools.Core.Kubernetes;

namespace DrTools.PowerShell;

/// <summary>A Kubernetes workload's (or namespace's) replicas, pods and nodes, with a verdict naming what is wrong.</summary>
[Cmdlet(VerbsCommon.Get, "DrWorkloadStatus", DefaultParameterSetName = NamespaceSet)]
[OutputType(typeof(WorkloadStatus))]
public sealed class GetDrWorkloadStatusCommand : KubernetesTargetCmdlet
{
    [Parameter]
    [ValidateRange(0, 10_000)]
    public int? ExpectReplicas { get; set; }

    protected override void ProcessRecord() =>
        WriteObject(RunOperation(token => WorkloadStatus.ReadAsync(Target(), token, ExpectReplicas)));
}
