using System.Management.Automation;
using DrTools.Core;
using DrTools.Core.Failover;
using DrTools.Core.Runbooks;
using DrTools.Core.Runbooks.Reports;

namespace DrTools.PowerShell;

/// <summary>A run's (or a lone failover drill's) report: Markdown or self-contained HTML for people, JSON (the journal), JUnit or NUnit XML
/// for CI.</summary>
[Cmdlet(VerbsData.Export, "DrReport", SupportsShouldProcess = true, DefaultParameterSetName = JournalSet)]
[OutputType(typeof(string), typeof(FileInfo))]
public sealed class ExportDrReportCommand : DrCmdlet
{
    private const string JournalSet = "Journal";
    private const string JournalPathSet = "JournalPath";
    private const string FailoverSet = "Failover";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = JournalSet,
        HelpMessage = "A run from Invoke-DrRunbook.")]
    public RunJournal? Journal { get; set; }

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = FailoverSet,
        HelpMessage = "A drill from Invoke-DbFailover, reported as a one-step run with its objectives and timeline.")]
    public FailoverResult? FailoverResult { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = JournalPathSet, ValueFromPipelineByPropertyName = true,
        HelpMessage = "A run's journal.json, or its folder in the drill history (Get-DrDrillHistory's LastJournal binds by pipeline).")]
    [Alias("LastJournal")]
    [ValidateNotNullOrEmpty]
    public string JournalPath { get; set; } = "";

    [Parameter(HelpMessage = "Markdown (default), Html, Json, JUnit or NUnit (the XML Pester writes), or Pdf (headless Chromium prints it; "
        + "needs -Path).")]
    [ValidateSet(nameof(ReportFormat.Markdown), nameof(ReportFormat.Html), nameof(ReportFormat.Json), nameof(ReportFormat.JUnit),
        nameof(ReportFormat.NUnit), nameof(ReportFormat.Pdf))]
    public string Format { get; set; } = nameof(ReportFormat.Markdown);

    [Parameter(HelpMessage = "Write the report to this file (its FileInfo is returned); without it the report text is returned.")]
    public string? Path { get; set; }

    protected override void ProcessRecord()
    {
        var journal = Journal
            ?? (FailoverResult is not null ? FailoverJournal.From(FailoverResult)
                : RunOperation(_ => Task.FromResult(RunJournal.Find(GetUnresolvedProviderPathFromPSPath(JournalPath))), JournalPath));
        var format = Enum.Parse<ReportFormat>(Format);
        if (Path is null)
        {
            if (format == ReportFormat.Pdf) throw new PSArgumentException("-Format Pdf writes a file: give -Path.");
            WriteObject(Report.Render(journal, format));
            return;
        }
        var file = GetUnresolvedProviderPathFromPSPath(Path);
        if (!ShouldProcess(file, $"Write the {Format} report of run {journal.Id}")) return;
        RunOperation(token => Report.WriteAsync(journal, format, file, token), file);
        WriteObject(new FileInfo(file));
    }
}
