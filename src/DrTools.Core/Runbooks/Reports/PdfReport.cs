using DrTools.Core.Processes;

namespace DrTools.Core.Runbooks.Reports;

/// <summary>The HTML report printed to PDF by headless Chromium (Debian's chromium package), when it is installed.</summary>
internal sealed class PdfReport : IReportFormat
{
    private static readonly string[] Browsers = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

    public ReportFormat Format => ReportFormat.Pdf;
    public IReadOnlyList<string> Words { get; } = ["pdf"];
    public string FileName => "report.pdf";
    public bool WrittenWithRun => false;

    public string Render(RunJournal stored) => throw new DrToolsException(
        "a PDF report is a file, not text: write it with Report.WriteAsync (drtools report --format pdf --output FILE).",
        DrErrorKind.InvalidArgument);

    /// <summary>The PDF of the journal's report; a clear error naming what to install when no Chromium is found.</summary>
    public async Task<byte[]> RenderFileAsync(RunJournal stored, CancellationToken cancellationToken)
    {
        var browser = FindBrowser() ?? throw new DrToolsException(
            "a PDF report is printed by headless Chromium, which was not found "
            + "(chromium, chromium-browser or google-chrome on PATH, or DRTOOLS_CHROMIUM): "
            + "apt-get install chromium, or write the HTML report (it prints to PDF from any browser).", DrErrorKind.InvalidOperation);
        var folder = Directory.CreateTempSubdirectory("drtools-pdf-").FullName;
        try
        {
            var htmlReport = ReportFormats.Of(ReportFormat.Html);
            var html = Path.Combine(folder, htmlReport.FileName);
            var pdf = Path.Combine(folder, FileName);
            AtomicFile.Write(html, htmlReport.Render(stored));
            // Off the network and without a sandbox (root, CI); its own profile folder, removed with the rest.
            await CommandRunner.RunAsync(new CommandSpec("Chromium printing the report to PDF", browser,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", $"--user-data-dir={Path.Combine(folder, "profile")}",
                "--no-pdf-header-footer", $"--print-to-pdf={pdf}",
                new Uri(html).AbsoluteUri,
            ]) { Timeout = TimeSpan.FromSeconds(90) }, cancellationToken);
            return File.Exists(pdf) && new FileInfo(pdf).Length > 0
                ? await File.ReadAllBytesAsync(pdf, cancellationToken)
                : throw new DrToolsException($"{browser} printed no PDF of the report.", DrErrorKind.ExternalCommandFailed);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string? FindBrowser()
    {
        if (Environment.GetEnvironmentVariable("DRTOOLS_CHROMIUM") is { Length: > 0 } given) return File.Exists(given) ? given : null;
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        return Browsers.SelectMany(name => path.Select(folder => Path.Combine(folder, name))).FirstOrDefault(File.Exists);
    }
}
