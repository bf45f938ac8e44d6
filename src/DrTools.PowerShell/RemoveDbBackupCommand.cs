using System.Management.Automation;
using DrTools.Core.Backups;

namespace DrTools.PowerShell;

/// <summary>Removes backups from a repository (those a GFS retention policy expires, or by id), and the WAL no remaining backup
/// needs.</summary>
[Cmdlet(VerbsCommon.Remove, "DbBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High,
    DefaultParameterSetName = ExpiredSet)]
[OutputType(typeof(RetentionDecision))]
public sealed class RemoveDbBackupCommand : DrCmdlet
{
    private const string ExpiredSet = "Expired";
    private const string IdSet = "Id";

    [Parameter(
        Mandatory = true,
        Position = 0,
        ValueFromPipelineByPropertyName = true
    )]
    [ArgumentCompleter(typeof(RepositoryCompleter))]
    public string Repository { get; set; } = "";

    [Parameter(
        Mandatory = true,
        ParameterSetName = ExpiredSet
    )]
    public SwitchParameter Expired { get; set; }

    [Parameter(
        Mandatory = true,
        ParameterSetName = ExpiredSet
    )]
    [ValidateRange(0, 10000)]
    public int KeepDaily { get; set; }

    [Parameter(ParameterSetName = ExpiredSet)]
    [ValidateRange(0, 10000)]
    public int KeepWeekly { get; set; }

    [Parameter(ParameterSetName = ExpiredSet)]
    [ValidateRange(0, 10000)]
    public int KeepMonthly { get; set; }

    [Parameter(
        Mandatory = true,
        ParameterSetName = IdSet,
        ValueFromPipelineByPropertyName = true
    )]
    [ArgumentCompleter(typeof(BackupIdCompleter))]
    public string[] Id { get; set; } = [];

    protected override void ProcessRecord()
    {
        var repository = RunOperation(_ => Task.FromResult(BackupRepository.Open(GetUnresolvedProviderPathFromPSPath(Repository),
            create: false)));
        var decisions = Expired
            ? BackupPolicy.PlanRetention(repository.Backups, new RetentionPolicy(KeepDaily, KeepWeekly, KeepMonthly)).Where(d => d.Expired)
            : Id.Select(id => repository.Backup(id)).Select(b => new RetentionDecision(b.Id, b.FinishedAt, true,
                "removal requested by id"));
        foreach (var decision in decisions.ToList())
        {
            if (!ShouldProcess($"backup {decision.BackupId} in {repository.Root}", $"Remove ({decision.Reason})")) continue;
            RunOperation(_ => { BackupPolicy.Remove(repository, decision.BackupId); return Task.CompletedTask; }, decision.BackupId);
            WriteObject(decision);
        }
    }
}
