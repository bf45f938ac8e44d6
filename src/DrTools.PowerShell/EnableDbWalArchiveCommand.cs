using System.Management.Automation;
using DrTools.Core.Backups;

namespace DrTools.PowerShell;

/// <summary>Points the cluster's archive_command at a backup repository's wal/ folder.</summary>
[Cmdlet(VerbsLifecycle.Enable, "DbWalArchive", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = ConnectionSet)]
[OutputType(typeof(WalArchiveSettings))]
public sealed class EnableDbWalArchiveCommand : DbTargetCmdlet
{
    [Parameter(Mandatory = true)]
    [ArgumentCompleter(typeof(RepositoryCompleter))]
    public string Repository { get; set; } = "";

    [Parameter(ParameterSetName = ConnectionSet)]
    public string[]? AllowDrillOn { get; set; }

    protected override void ProcessRecord()
    {
        var path = GetUnresolvedProviderPathFromPSPath(Repository);
        var target = RunOperation(_ => Task.FromResult(ResolveStore(AllowDrillOn)));
        if (!ShouldProcess(target.Name, target.Engine == Core.Engines.StoreEngines.MariaDb
            ? $"Copy the primary's binlogs into {path}/binlog" : $"Set archive_command to copy WAL into {path}/wal")) return;
        WriteObject(RunOperation(token => BackupRepository.OpenForAsync(path,
            repository => Core.Engines.Stores.ArchiveAsync(target, repository, token)), target.Name));
    }
}
