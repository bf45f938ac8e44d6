using System.Management.Automation;
using DrTools.Core.Cluster;

namespace DrTools.PowerShell;

/// <summary>Role, timeline, WAL positions and replication state of every member, slots, and a verdict on the whole cluster.</summary>
[Cmdlet(VerbsCommon.Get, "DbClusterStatus", DefaultParameterSetName = ConnectionSet)]
[OutputType(typeof(ClusterStatus))]
public sealed class GetDbClusterStatusCommand : DbTargetCmdlet
{
    protected override void ProcessRecord() => WriteObject(RunOnTarget(ClusterInspector.GetStatusAsync));
}
