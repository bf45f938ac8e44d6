namespace DrTools.Core.Runbooks.Reports;

/// <summary>
/// One report format: the words users give for it, its file beside the journal, and how a stored journal (passwords
/// masked) becomes it. A new format is one of these and one line in <see cref="ReportFormats"/>.
/// </summary>
public interface IReportFormat
{
    ReportFormat Format { get; }

    /// <summary>The words --format takes for it, lower case, the first the one help shows (markdown, md).</summary>
    IReadOnlyList<string> Words { get; }

    /// <summary>Its file in a run's folder (report.md); no two formats share one.</summary>
    string FileName { get; }

    /// <summary>Whether every run writes it beside its journal (false for the journal itself, and for what needs other
    /// software).</summary>
    bool WrittenWithRun { get; }

    /// <summary>The report as text, or a refusal saying it is only a file (PDF).</summary>
    string Render(RunJournal stored);

    Task<byte[]> RenderFileAsync(RunJournal stored, CancellationToken cancellationToken);
}
