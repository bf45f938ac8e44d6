using System.Globalization;

namespace DrTools.Core.Runbooks.Reports;

/// <summary>Reports of a run, all made from its journal: Markdown and HTML for people, JSON (the journal), JUnit and NUnit XML for
/// CI, PDF.</summary>
public static class Report
{
    /// <summary>A report of the journal as stored (passwords masked), whichever journal it is given.</summary>
    public static string Render(RunJournal journal, ReportFormat format) => ReportFormats.Of(format).Render(journal.Redacted());

    public static string FileName(ReportFormat format) => ReportFormats.Of(format).FileName;

    /// <summary>Writes one report to a file, whole or not at all.</summary>
    public static async Task WriteAsync(RunJournal journal, ReportFormat format, string path, CancellationToken cancellationToken) =>
        AtomicFile.Write(path, await ReportFormats.Of(format).RenderFileAsync(journal.Redacted(), cancellationToken));

    /// <summary>Writes every report beside the journal (the journal itself is already there), all of them or none.</summary>
    public static void WriteAll(RunJournal journal, string folder) => AtomicFile.WriteAll(Files(journal, folder));

    /// <summary>Every report a run writes beside its journal in <paramref name="folder"/>, as the file it is there.</summary>
    public static IReadOnlyList<(string Path, byte[] Content)> Files(RunJournal journal, string folder)
    {
        var stored = journal.Redacted();
        return [.. ReportFormats.All.Where(f => f.WrittenWithRun)
            .Select(f => (Path.Combine(folder, f.FileName), System.Text.Encoding.UTF8.GetBytes(f.Render(stored))))];
    }

    /// <summary>
    /// A finished run's reports, journal and probe history copied into <paramref name="directory"/> (drtools run
    /// --report-dir, e.g. for CI artifacts): all of them or none.
    /// </summary>
    public static void CopyAll(RunJournal journal, string directory) => AtomicFile.WriteAll(
    [
        .. ReportFormats.All.Where(f => f.WrittenWithRun).Select(f => f.FileName)
            .Append(RunJournal.FileName).Append(Probes.ProbeHistory.FileName)
            .Select(name => Path.Combine(journal.Folder!, name))
            .Where(File.Exists)
            .Select(source => (Path.Combine(directory, Path.GetFileName(source)), File.ReadAllBytes(source))),
    ]);

    public static string Seconds(double seconds) => $"{seconds.ToString(seconds >= 100 ? "0.#" : "0.###", CultureInfo.InvariantCulture)} s";

    public static string Seconds(TimeSpan? span) => span is { } value ? Seconds(value.TotalSeconds) : "-";
}
