using System.Globalization;

namespace DrTools.Core.Runbooks.Reports;

public enum ReportFormat { Markdown, Html, Json, JUnit, NUnit, Pdf }

/// <summary>Reports of a run, all made from its journal: Markdown and HTML for people, JSON (the journal), JUnit and NUnit XML for
/// CI.</summary>
public static class Report
{
    /// <summary>A report of the journal as stored (passwords masked), whichever journal it is given.</summary>
    public static string Render(RunJournal journal, ReportFormat format)
    {
        var stored = journal.Redacted();
        return format switch
        {
            ReportFormat.Markdown => MarkdownReport.Render(new ReportContent(stored)),
            ReportFormat.Html => HtmlReport.Render(new ReportContent(stored)),
            ReportFormat.JUnit => TestResultsReport.RenderJUnit(stored),
            ReportFormat.NUnit => TestResultsReport.RenderNUnit(stored),
            ReportFormat.Pdf => throw new DrToolsException(
                "a PDF report is a file, not text: write it with Report.WriteAsync (drtools report --format pdf --output FILE).",
                DrErrorKind.InvalidArgument),
            _ => stored.ToJson(),
        };
    }

    public static string FileName(ReportFormat format) => format switch
    {
        ReportFormat.Markdown => "report.md",
        ReportFormat.Html => "report.html",
        ReportFormat.JUnit => "junit.xml",
        ReportFormat.NUnit => "nunit.xml",
        ReportFormat.Pdf => "report.pdf",
        _ => "journal.json",
    };

    /// <summary>Writes one report to a file: the PDF through headless Chromium, every other format as text.</summary>
    public static async Task WriteAsync(RunJournal journal, ReportFormat format, string path, CancellationToken cancellationToken)
    {
        if (format == ReportFormat.Pdf) AtomicFile.Write(path, await PdfReport.RenderAsync(journal.Redacted(), cancellationToken));
        else AtomicFile.Write(path, Render(journal, format));
    }

    /// <summary>Writes every report beside the journal (the journal itself is already there), all of them or none.</summary>
    public static void WriteAll(RunJournal journal, string folder) => AtomicFile.WriteAll(Files(journal, folder));

    /// <summary>Every report of the journal as the file it is beside the journal in <paramref name="folder"/>.</summary>
    public static IReadOnlyList<(string Path, byte[] Content)> Files(RunJournal journal, string folder) =>
    [
        .. new[] { ReportFormat.Markdown, ReportFormat.Html, ReportFormat.JUnit, ReportFormat.NUnit }
            .Select(format => (Path.Combine(folder, FileName(format)), System.Text.Encoding.UTF8.GetBytes(Render(journal, format)))),
    ];

    /// <summary>
    /// A finished run's reports, journal and probe history copied into <paramref name="directory"/> (drtools run
    /// --report-dir, e.g. for CI artifacts): all of them or none.
    /// </summary>
    public static void CopyAll(RunJournal journal, string directory) => AtomicFile.WriteAll(
    [
        .. Enum.GetValues<ReportFormat>().Where(f => f != ReportFormat.Pdf).Select(FileName).Append(Probes.ProbeHistory.FileName)
            .Select(name => Path.Combine(journal.Folder!, name))
            .Where(File.Exists)
            .Select(source => (Path.Combine(directory, Path.GetFileName(source)), File.ReadAllBytes(source))),
    ]);

    public static ReportFormat ParseFormat(string text, string argument) => text.ToLowerInvariant() switch
    {
        "md" or "markdown" => ReportFormat.Markdown,
        "html" => ReportFormat.Html,
        "json" => ReportFormat.Json,
        "junit" or "xml" => ReportFormat.JUnit,
        "nunit" => ReportFormat.NUnit,
        "pdf" => ReportFormat.Pdf,
        _ => throw new DrToolsException(
            $"{argument}: '{text}' is not a report format (markdown, html, json, junit, nunit or pdf).", DrErrorKind.InvalidArgument),
    };

    public static string Seconds(double seconds) => $"{seconds.ToString(seconds >= 100 ? "0.#" : "0.###", CultureInfo.InvariantCulture)} s";

    public static string Seconds(TimeSpan? span) => span is { } value ? Seconds(value.TotalSeconds) : "-";
}
