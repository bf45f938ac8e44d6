using System.Management.Automation;
using DrTools.Core.Backups;

namespace DrTools.PowerShell;

/// <summary>Backup policy: latest backup age, archiver health, WAL continuity from the oldest backup (naming a missing segment), and what a
/// GFS retention policy expires.</summary>
[Cmdlet(VerbsDiagnostic.Test, "DbBackupPolicy", DefaultParameterSetName = RepositoryOnlySet)]
[OutputType(typeof(BackupPolicyResult))]
public sealed class TestDbBackupPolicyCommand : DbTargetCmdlet
{
    private const string RepositoryOnlySet = "RepositoryOnly";

    [Parameter(Mandatory = true)]
    [ArgumentCompleter(typeof(RepositoryCompleter))]
    public string Repository { get; set; } = "";

    [Parameter]
    [DurationTransformation(Long = true)]
    public TimeSpan? MaxBackupAge { get; set; }

    [Parameter]
    [ValidateRange(0, 10000)]
    public int? KeepDaily { get; set; }

    [Parameter]
    [ValidateRange(0, 10000)]
    public int KeepWeekly { get; set; }

    [Parameter]
    [ValidateRange(0, 10000)]
    public int KeepMonthly { get; set; }

    protected override void ProcessRecord()
    {
        var path = GetUnresolvedProviderPathFromPSPath(Repository);
        var options = new BackupPolicyOptions { MaxBackupAge = MaxBackupAge, Retention = KeepDaily is { } daily ? new RetentionPolicy(daily,
            KeepWeekly, KeepMonthly) : null };
        // The cluster is optional: with it, the archiver's own statistics are checked too.
        var withCluster = ParameterSetName != RepositoryOnlySet;
        WriteObject(RunOperation(token => BackupPolicy.CheckAsync(BackupRepository.Open(path, create: false), withCluster ? ResolveTarget()
            : null, options, token), path));
    }
}
