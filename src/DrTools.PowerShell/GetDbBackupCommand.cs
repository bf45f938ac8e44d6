using System.Management.Automation;
using DrTools.Core.Backups;

namespace DrTools.PowerShell;

/// <summary>The backups in a repository's catalog (latest last), or its recoverable window.</summary>
[Cmdlet(VerbsCommon.Get, "DbBackup")]
[OutputType(typeof(BackupRecord), typeof(RecoverableWindow))]
public sealed class GetDbBackupCommand : DrCmdlet
{
    [Parameter(
        Mandatory = true,
        Position = 0
    )]
    [ArgumentCompleter(typeof(RepositoryCompleter))]
    public string Repository { get; set; } = "";

    [Parameter]
    public SwitchParameter RecoverableWindow { get; set; }

    protected override void ProcessRecord()
    {
        var repository = RunOperation(_ => Task.FromResult(BackupRepository.Open(GetUnresolvedProviderPathFromPSPath(Repository),
            create: false)));
        if (RecoverableWindow) WriteObject(RunOperation(token => PointInTimeRestore.WindowAsync(repository, token)));
        else WriteObject(repository.Backups, enumerateCollection: true);
    }
}
