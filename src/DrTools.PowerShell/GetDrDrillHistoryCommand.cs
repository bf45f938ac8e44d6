using System.Management.Automation;
using DrTools.Core.Runbooks;

namespace DrTools.PowerShell;

/// <summary>Per drill and target: runs, passes, average duration, the last result and the mean time to recover.</summary>
[Cmdlet(VerbsCommon.Get, "DrDrillHistory")]
[OutputType(typeof(DrillHistoryEntry))]
public sealed class GetDrDrillHistoryCommand : DrCmdlet
{
    [Parameter(Position = 0)]
    [SupportsWildcards]
    public string Name { get; set; } = "*";

    [Parameter]
    public string? HistoryPath { get; set; }

    protected override void ProcessRecord()
    {
        var pattern = new WildcardPattern(Name, WildcardOptions.IgnoreCase);
        var root = HistoryPath is null ? null : GetUnresolvedProviderPathFromPSPath(HistoryPath);
        foreach (var entry in DrillHistory.Summarize(DrillHistory.Runs(root)).Where(e => pattern.IsMatch(e.Drill))) WriteObject(entry);
    }
}
