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

    [Parameter]
    public string[]? Repository { get; set; }

    [Parameter]
    public string? HistoryPath { get; set; }

    [Parameter]
    public SwitchParameter NoHistory { get; set; }

    [Parameter]
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
