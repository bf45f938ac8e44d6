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

    [Parameter(
        Mandatory = true,
        Position = 0
    )]
    [ArgumentCompleter(typeof(RepositoryCompleter))]
    public string Repository { get; set; } = "";

    [Parameter(
        Mandatory = true,
        ParameterSetName = TimeSet
    )]
    [TimestampTransformation]
    public DateTimeOffset TargetTime { get; set; }

    [Parameter(
        Mandatory = true,
        ParameterSetName = LsnSet
    )]
    public string TargetLsn { get; set; } = "";

    [Parameter(
        Mandatory = true,
        ParameterSetName = XidSet
    )]
    [ValidateRange(3, uint.MaxValue)]
    public long TargetXid { get; set; }

    [Parameter(
        Mandatory = true,
        ParameterSetName = NameSet
    )]
    public string RestorePoint { get; set; } = "";

    [Parameter(
        Mandatory = true,
        ParameterSetName = GtidSet
    )]
    public string TargetGtid { get; set; } = "";

    [Parameter]
    public string? BackupId { get; set; }

    [Parameter]
    public string[] MustExist { get; set; } = [];

    [Parameter]
    public string[] MustNotExist { get; set; } = [];

    [Parameter]
    public SwitchParameter RemoveInstance { get; set; }

    [Parameter]
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
