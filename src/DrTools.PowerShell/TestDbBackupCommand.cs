using System.Management.Automation;
using DrTools.Core;
using DrTools.Core.Backups;

namespace DrTools.PowerShell;

/// <summary>Verifies a backup by restoring it into a new isolated instance: pg_verifybackup, recovery, pg_amcheck, checksums against the
/// reference; PASS/FAIL with phase timings against an RTO.</summary>
[Cmdlet(VerbsDiagnostic.Test, "DbBackup")]
[OutputType(typeof(BackupVerificationResult))]
public sealed class TestDbBackupCommand : DrCmdlet
{
    [Parameter(
        Mandatory = true,
        Position = 0,
        ValueFromPipelineByPropertyName = true
    )]
    [ArgumentCompleter(typeof(RepositoryCompleter))]
    public string Repository { get; set; } = "";

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BackupIdCompleter))]
    public string? Id { get; set; }

    [Parameter]
    [Alias("RtoSeconds")]
    [DurationTransformation(Long = true)]
    public TimeSpan? Rto { get; set; }

    [Parameter]
    public SwitchParameter KeepInstance { get; set; }

    protected override void ProcessRecord()
    {
        var path = GetUnresolvedProviderPathFromPSPath(Repository);
        var options = new BackupVerificationOptions { BackupId = Id, RtoTarget = Rto, KeepInstance = KeepInstance };
        WriteObject(RunWithProgress($"Test-DbBackup {Id ?? "(latest)"}", (progress,
            token) => Core.Engines.Stores.VerifyBackupAsync(BackupRepository.Open(path,
            create: false), options with { Progress = progress },
            token), path));
    }
}
