using System.Management.Automation;
using DrTools.Core.Backups;

namespace DrTools.PowerShell;

/// <summary>A base backup (pg_basebackup, manifest with SHA-256 checksums) into a repository, recorded in its catalog with a reference for
/// verification.</summary>
[Cmdlet(VerbsCommon.New, "DbBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low,
    DefaultParameterSetName = ConnectionSet)]
[OutputType(typeof(BackupRecord))]
public sealed class NewDbBackupCommand : DbTargetCmdlet
{
    [Parameter(Mandatory = true)]
    [ArgumentCompleter(typeof(RepositoryCompleter))]
    public string Repository { get; set; } = "";

    // A string, not BackupCompression: no DrTools.Core value type may be a cmdlet field (see InvokeDbFailoverCommand).
    [Parameter]
    [ValidateSet(nameof(BackupCompression.Gzip), nameof(BackupCompression.None))]
    public string Compression { get; set; } = nameof(BackupCompression.Gzip);

    [Parameter]
    [ValidateSet("Base", "Dump", "Physical", "Rdb", "Aof", IgnoreCase = true)]
    public string? Kind { get; set; }

    [Parameter]
    public SwitchParameter NoReference { get; set; }

    protected override void ProcessRecord()
    {
        var path = GetUnresolvedProviderPathFromPSPath(Repository);
        if (!ShouldProcess(path, $"Take a {Kind?.ToLowerInvariant() ?? "default"} backup into the repository")) return;
        var options = new BackupOptions { Compression = Enum.Parse<BackupCompression>(Compression, ignoreCase: true),
            RecordReference = !NoReference };
        WriteObject(RunOnStore((target, token) => BackupRepository.OpenForAsync(path,
            repository => Core.Engines.Stores.BackupAsync(target, repository, Kind?.ToLowerInvariant(), options, token))));
    }
}
