using System.Diagnostics;

namespace DrTools.Core.Runbooks.Reports;

/// <summary>Every report format, listed once: rendering, file names, --format's words and help come from here.</summary>
public static class ReportFormats
{
    public static IReadOnlyList<IReportFormat> All { get; } =
    [
        new TextReportFormat(ReportFormat.Markdown, "report.md", ["markdown", "md"], j => MarkdownReport.Render(new ReportContent(j))),
        new TextReportFormat(ReportFormat.Html, "report.html", ["html"], j => HtmlReport.Render(new ReportContent(j))),
        new TextReportFormat(ReportFormat.Json, RunJournal.FileName, ["json"], j => j.ToJson()) { WrittenWithRun = false },
        new TextReportFormat(ReportFormat.JUnit, "junit.xml", ["junit", "xml"], TestResultsReport.RenderJUnit),
        new TextReportFormat(ReportFormat.NUnit, "nunit.xml", ["nunit"], TestResultsReport.RenderNUnit),
        new PdfReport(),
    ];

    /// <summary>A format of the enum that is not listed here is a defect, never a silent default.</summary>
    public static IReportFormat Of(ReportFormat format) => All.SingleOrDefault(f => f.Format == format)
        ?? throw new UnreachableException($"report format {format} is not in ReportFormats.All");

    /// <summary>The words help shows: "markdown, html, json, junit, nunit or pdf".</summary>
    public static string Choices => $"{string.Join(", ", All.SkipLast(1).Select(f => f.Words[0]))} or {All[^1].Words[0]}";

    /// <summary>A format as users write it (any of its words, any case), or a refusal naming the argument.</summary>
    public static ReportFormat Parse(string text, string argument) =>
        All.FirstOrDefault(f => f.Words.Contains(text.Trim().ToLowerInvariant()))?.Format
        ?? throw new DrToolsException($"{argument}: '{text}' is not a report format ({Choices}).", DrErrorKind.InvalidArgument);
}
