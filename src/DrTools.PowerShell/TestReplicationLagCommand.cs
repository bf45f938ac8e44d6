using System.Management.Automation;
using DrTools.Core;
using DrTools.Core.Replication;

namespace DrTools.PowerShell;

/// <summary>Replication lag of every standby in bytes, as PostgreSQL reports it, and optionally end to end by heartbeat, against
/// thresholds.</summary>
[Cmdlet(VerbsDiagnostic.Test, "ReplicationLag", DefaultParameterSetName = ConnectionSet)]
[OutputType(typeof(ReplicationLagResult), typeof(bool))]
public sealed class TestReplicationLagCommand : DbTargetCmdlet
{
    [Parameter(HelpMessage = "Most WAL bytes a standby may be behind the primary.")]
    [ValidateRange(0, ReplicationLagOptions.MaxLagBytesLimit)]
    public long? MaxLagBytes { get; set; }

    [Parameter(HelpMessage = "MariaDB: most GTID transactions a replica may be behind the primary.")]
    [ValidateRange(0, ReplicationLagOptions.MaxLagTransactionsLimit)]
    public long? MaxLagTransactions { get; set; }

    [Parameter(HelpMessage = "Most seconds a standby may lag: held against the heartbeat lag with -Heartbeat, otherwise against the replay "
        + "lag (Redis: measured catch-up time).")]
    [ValidateRange(0, DurationText.MaxAgeSeconds)]
    public double? MaxLagSeconds { get; set; }

    [Parameter(HelpMessage = "Measure end-to-end lag with a heartbeat row written on the primary (table drtools_heartbeat) and timed until "
        + "visible on each standby.")]
    public SwitchParameter Heartbeat { get; set; }

    [Parameter(HelpMessage = "Sample over this window (e.g. 30s) and report the maximum and 95th percentile.")]
    [DurationTransformation(Positive = true)]
    public TimeSpan? Duration { get; set; }

    [Parameter(HelpMessage = "Time between samples when -Duration is given (default 1s).")]
    [DurationTransformation(Positive = true)]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    [Parameter(HelpMessage = "Return only $true when every standby met every threshold, $false otherwise.")]
    public SwitchParameter Quiet { get; set; }

    protected override void ProcessRecord()
    {
        var options = new ReplicationLagOptions
        {
            MaxLagBytes = MaxLagBytes,
            MaxLagTransactions = MaxLagTransactions,
            MaxLag = MaxLagSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
            Heartbeat = Heartbeat,
            Duration = Duration,
            Interval = Interval,
        };
        var results = RunWithProgress("Test-ReplicationLag", (progress, token) => ResolveStore().MeasureLagAsync(
            options with { Progress = progress }, token), Sandbox);
        if (Quiet) WriteObject(results.All(r => r.Met));
        else WriteObject(results, enumerateCollection: true);
    }
}
