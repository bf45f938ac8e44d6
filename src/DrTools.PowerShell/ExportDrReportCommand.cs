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

    [Parameter(
        Mandatory = true,
        Position = 0,
        ValueFromPipeline = true,
        ParameterSetName = JournalSet
    )]
    public RunJournal? Journal { get; set; }

    [Parameter(
        Mandatory = true,
        ValueFromPipeline = true,
        ParameterSetName = FailoverSet
    )]
    public FailoverResult? FailoverResult { get; set; }

    [Parameter(
        Mandatory = true,
        ParameterSetName = JournalPathSet,
        ValueFromPipelineByPropertyName = true
    )]
    [Alias("LastJournal")]
    [ValidateNotNullOrEmpty]
    public string JournalPath { get; set; } = "";

    [Parameter]
    [ValidateSet(nameof(ReportFormat.Markdown), nameof(ReportFormat.Html), nameof(ReportFormat.Json), nameof(ReportFormat.JUnit),
        nameof(ReportFormat.NUnit), nameof(ReportFormat.Pdf))]
    public string Format { get; set; } = nameof(ReportFormat.Markdown);

    [Parameter]
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
