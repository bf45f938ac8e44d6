using System.Management.Automation;
using DrTools.Core.Runbooks;
using DrTools.Core.Runbooks.Reports;

namespace DrTools.PowerShell;

/// <summary>
/// A reviewer's approval of a finished run: recorded in its journal with the time and the SHA-256 of the journal approved,
/// the reports rendered again.
/// </summary>
[Cmdlet(VerbsLifecycle.Approve, "DrReport", SupportsShouldProcess = true, DefaultParameterSetName = JournalSet)]
[OutputType(typeof(RunJournal))]
public sealed class ApproveDrReportCommand : DrCmdlet
{
    private const string JournalSet = "Journal";
    private const string JournalPathSet = "JournalPath";

    [Parameter(
        Mandatory = true,
        Position = 0,
        ValueFromPipeline = true,
        ParameterSetName = JournalSet
    )]
    public RunJournal? Journal { get; set; }

    [Parameter(
        Mandatory = true,
        ParameterSetName = JournalPathSet,
        ValueFromPipelineByPropertyName = true
    )]
    [Alias("LastJournal")]
    [ValidateNotNullOrEmpty]
    public string JournalPath { get; set; } = "";

    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Reviewer { get; set; } = "";

    [Parameter]
    public string? Note { get; set; }

    protected override void ProcessRecord()
    {
        var path = Journal is not null
            ? Journal.Folder ?? throw new PSArgumentException($"run {Journal.Id} has no folder in the drill history: give -JournalPath.")
            : GetUnresolvedProviderPathFromPSPath(JournalPath);
        if (!ShouldProcess(path, $"Record {Reviewer}'s approval in the journal and render the reports again")) return;
        WriteObject(RunOperation(_ => Task.FromResult(ReportSignOff.Sign(path, Reviewer, Note, DateTimeOffset.UtcNow)), path));
    }
}
