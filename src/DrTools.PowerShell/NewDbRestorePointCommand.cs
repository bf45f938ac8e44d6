using System.Management.Automation;
using DrTools.Core.Backups;

namespace DrTools.PowerShell;

/// <summary>A named restore point (pg_create_restore_point) on the primary, recorded in the repository's catalog.</summary>
[Cmdlet(VerbsCommon.New, "DbRestorePoint", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low,
    DefaultParameterSetName = ConnectionSet)]
[OutputType(typeof(RestorePointRecord))]
public sealed class NewDbRestorePointCommand : DbTargetCmdlet
{
    [Parameter(Mandatory = true)]
    [ArgumentCompleter(typeof(RepositoryCompleter))]
    public string Repository { get; set; } = "";

    [Parameter(Mandatory = true)]
    public string Name { get; set; } = "";

    protected override void ProcessRecord()
    {
        if (!ShouldProcess(Name, "Create a restore point on the primary")) return;
        var path = GetUnresolvedProviderPathFromPSPath(Repository);
        WriteObject(RunOnTarget((target, token) => DbBackups.CreateRestorePointAsync(target, BackupRepository.Open(path, create: false),
            Name, token)));
    }
}
