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
    [Parameter]
    [ValidateRange(0, ReplicationLagOptions.MaxLagBytesLimit)]
    public long? MaxLagBytes { get; set; }

    [Parameter]
    [ValidateRange(0, ReplicationLagOptions.MaxLagTransactionsLimit)]
    public long? MaxLagTransactions { get; set; }

    [Parameter]
    [ValidateRange(0, DurationText.MaxAgeSeconds)]
    public double? MaxLagSeconds { get; set; }

    [Parameter]
    public SwitchParameter Heartbeat { get; set; }

    [Parameter]
    [DurationTransformation(Positive = true)]
    public TimeSpan? Duration { get; set; }

    [Parameter]
    [DurationTransformation(Positive = true)]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    [Parameter]
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
