using System.Management.Automation;
using DrTools.Core.Metrics;

namespace DrTools.PowerShell;

/// <summary>
/// DrTools' metrics as objects (what drtools metrics exposes to Prometheus): a cluster's verdict, roles and replication
/// lag, the WAL archiver, backup age and recoverable window, each drill's last result, RTO and RPO against their targets.
/// </summary>
[Cmdlet(VerbsCommon.Get, "DrMetric", DefaultParameterSetName = NoClusterSet)]
[OutputType(typeof(MetricSample))]
public sealed class GetDrMetricCommand : DbTargetCmdlet
{
    private const string NoClusterSet = "NoCluster";

    [Parameter(HelpMessage = "Backup repository folders to report on: the latest backup's age and the recoverable window.")]
    public string[]? Repository { get; set; }

    [Parameter(HelpMessage = "Drill history folder (default DRTOOLS_HISTORY or ~/.local/share/drtools/history).")]
    public string? HistoryPath { get; set; }

    [Parameter(HelpMessage = "Leave the drill history out.")]
    public SwitchParameter NoHistory { get; set; }

    [Parameter(HelpMessage = "Only metrics whose name matches (wildcards allowed), e.g. drtools_replication_*.")]
    [SupportsWildcards]
    public string Name { get; set; } = "*";

    protected override void ProcessRecord()
    {
        var sources = new MetricSources
        {
            Targets = ParameterSetName == NoClusterSet ? [] : [ResolveTarget()],
            Repositories = (Repository ?? []).Select(GetUnresolvedProviderPathFromPSPath).ToList(),
            HistoryRoot = HistoryPath is null ? null : GetUnresolvedProviderPathFromPSPath(HistoryPath),
            History = !NoHistory,
        };
        var pattern = new WildcardPattern(Name, WildcardOptions.IgnoreCase);
        foreach (var sample in RunOperation(token => DrMetrics.CollectAsync(sources,
            token)).Where(s => pattern.IsMatch(s.Name))) WriteObject(sample);
    }
}
