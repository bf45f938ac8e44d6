using System.Text;

namespace DrTools.Core.Runbooks.Reports;

/// <summary>A format rendered as text; its file is that text in UTF-8.</summary>
internal sealed class TextReportFormat(ReportFormat format, string fileName, IReadOnlyList<string> words,
    Func<RunJournal, string> render) : IReportFormat
{
    public ReportFormat Format => format;
    public IReadOnlyList<string> Words => words;
    public string FileName => fileName;
    public bool WrittenWithRun { get; init; } = true;

    public string Render(RunJournal stored) => render(stored);

    public Task<byte[]> RenderFileAsync(RunJournal stored, CancellationToken cancellationToken) =>
        Task.FromResult(Encoding.UTF8.GetBytes(render(stored)));
}
