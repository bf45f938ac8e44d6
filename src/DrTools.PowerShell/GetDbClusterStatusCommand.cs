using System.Management.Automation;
using DrTools.Core.Cluster;

namespace DrTools.PowerShell;

/// <summary>Role, timeline, WAL positions and replication state of every member, slots, and a verdict on the whole cluster.</summary>
[Cmdlet(VerbsCommon.Get, "DbClusterStatus", DefaultParameterSetName = ConnectionSet)]
[OutputType(typeof(ClusterStatus))]
public sealed class GetDbClusterStatusCommand : DbTargetCmdlet
{
    [Parameter(ParameterSetName = ConnectionSet)]
    [ValidateNotNullOrEmpty]
    public string[]? Patroni { get; set; }

    protected override void ProcessRecord() => WriteObject(RunOnStore((target, token) =>
        (target is Core.Postgres.DbTarget postgres ? WithPatroni(postgres, Patroni) : Patroni is null
            ? target
            : throw new Core.DrToolsException($"-Patroni is for PostgreSQL clusters; {target.Name} is a {target.Engine} cluster.",
                Core.DrErrorKind.InvalidArgument)).GetStatusAsync(token)));
}
