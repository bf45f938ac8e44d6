using DrTools.Core.Processes;

namespace DrTools.Core.Runbooks.Reports;

/// <summary>The HTML report printed to PDF by headless Chromium (Debian's chromium package), when it is installed.</summary>
public static class PdfReport
{
    private static readonly string[] Browsers = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

    /// <summary>The PDF of the journal's report; a clear error naming what to install when no Chromium is found.</summary>
    public static async Task<byte[]> RenderAsync(RunJournal journal, CancellationToken cancellationToken)
    {
        var browser = FindBrowser() ?? throw new DrToolsException(
            "a PDF report is printed by headless Chromium, which was not found "
            + "(chromium, chromium-browser or google-chrome on PATH, or DRTOOLS_CHROMIUM): "
            + "apt-get install chromium, or write the HTML report (it prints to PDF from any browser).", DrErrorKind.InvalidOperation);
        var folder = Directory.CreateTempSubdirectory("drtools-pdf-").FullName;
        try
        {
            var html = Path.Combine(folder, "report.html");
            var pdf = Path.Combine(folder, "report.pdf");
            AtomicFile.Write(html, Report.Render(journal, ReportFormat.Html));
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
