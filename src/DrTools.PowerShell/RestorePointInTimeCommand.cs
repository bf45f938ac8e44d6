using System.Management.Automation;
using DrTools.Core.Backups;
using DrTools.Core.Postgres;

namespace DrTools.PowerShell;

/// <summary>Point-in-time recovery into a new isolated instance (never over the source), with marker checks; a target outside the
/// recoverable window is refused before anything is restored.</summary>
[Cmdlet(VerbsData.Restore, "PointInTime", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High,
    DefaultParameterSetName = TimeSet)]
[OutputType(typeof(PointInTimeResult))]
public sealed class RestorePointInTimeCommand : DrCmdlet
{
    private const string TimeSet = "Time";
    private const string LsnSet = "Lsn";
    private const string XidSet = "Xid";
    private const string NameSet = "RestorePoint";
    private const string GtidSet = "Gtid";

    [Parameter(Mandatory = true, Position = 0, HelpMessage = RepositoryParameter.Help)]
    [ArgumentCompleter(typeof(RepositoryCompleter))]
    public string Repository { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = TimeSet,
        HelpMessage = "Recover up to this time, with its zone: a [datetimeoffset], Get-Date, or a string such as '2026-11-22 "
        + "08:05:12+00'.")]
    [TimestampTransformation]
    public DateTimeOffset TargetTime { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = LsnSet, HelpMessage = "Recover up to this WAL position (e.g. 0/3000148).")]
    public string TargetLsn { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = XidSet,
        HelpMessage = "Recover up to the commit of this transaction id (3 to 4294967295).")]
    [ValidateRange(3, uint.MaxValue)]
    public long TargetXid { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = NameSet,
        HelpMessage = "Recover up to this named restore point (from New-DbRestorePoint).")]
    public string RestorePoint { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = GtidSet, HelpMessage = "MariaDB: recover up to this GTID, inclusive (e.g. 0-1-42).")]
    public string TargetGtid { get; set; } = "";

    [Parameter(HelpMessage = "MariaDB: the backup to start from (default the latest taken before the target).")]
    public string? BackupId { get; set; }

    [Parameter(HelpMessage = "Queries that must return at least one row after the restore.")]
    public string[] MustExist { get; set; } = [];

    [Parameter(HelpMessage = "Queries that must return no row after the restore.")]
    public string[] MustNotExist { get; set; } = [];

    [Parameter(HelpMessage = "Remove the restored instance after the checks (default: keep it running; Remove-DrSandbox removes it).")]
    public SwitchParameter RemoveInstance { get; set; }

    [Parameter(HelpMessage = "Keep the instance of a restore that fails, for inspection (default: a failed restore removes what it made).")]
    public SwitchParameter KeepFailedInstance { get; set; }

    protected override void ProcessRecord()
    {
        var path = GetUnresolvedProviderPathFromPSPath(Repository);
        var target = RunOperation(_ => Task.FromResult(ParameterSetName switch
        {
            LsnSet => RecoveryTarget.Lsn(Lsn.ParseArgument(TargetLsn, "-TargetLsn")),
            XidSet => RecoveryTarget.Xid(TargetXid),
            NameSet => RecoveryTarget.Name(RestorePoint),
            GtidSet => RecoveryTarget.Immediate,
            _ => RecoveryTarget.Time(TargetTime),
        }));
        var gtid = ParameterSetName == GtidSet ? TargetGtid : null;
        if (!ShouldProcess($"a new isolated instance from {path}", $"Restore to {(gtid is null ? target : $"GTID {gtid}")}")) return;
        var options = new PointInTimeOptions { Target = target, MustExist = MustExist, MustNotExist = MustNotExist,
            KeepInstance = !RemoveInstance, KeepFailedInstance = KeepFailedInstance };
        WriteObject(RunWithProgress($"Restore-PointInTime to {(gtid is null ? target : $"GTID {gtid}")}", (progress,
            token) => Core.Engines.Stores.RestorePointInTimeAsync(BackupRepository.Open(path,
            create: false), options with { Progress = progress },
            gtid, BackupId, token), path));
    }
}
