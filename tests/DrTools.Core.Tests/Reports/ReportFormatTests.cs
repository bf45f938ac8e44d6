using System.Xml.Linq;
using DrTools.Core.Runbooks;
using DrTools.Core.Runbooks.Reports;

namespace DrTools.Core.Tests;

/// <summary>Every report format, rendered from a checked-in journal of a real drill (runbooks/postgres-failover.yml): no server.</summary>
public sealed class ReportFormatTests
{
    private static readonly string SamplePath = Path.Combine(AppContext.BaseDirectory, "Reports", "sample-journal.json");
    private static RunJournal Sample() => RunJournal.Load(SamplePath);

    [Fact]
    public void Every_format_is_listed_once_with_a_file_and_words_of_its_own()
    {
        Assert.Equal(Enum.GetValues<ReportFormat>().Order(), ReportFormats.All.Select(f => f.Format).Order());
        Assert.All(Enum.GetValues<ReportFormat>(), f => Assert.Equal(f, ReportFormats.Of(f).Format));
        Assert.Equal(ReportFormats.All.Count, ReportFormats.All.Select(f => f.FileName).Distinct().Count());
        var words = ReportFormats.All.SelectMany(f => f.Words).ToList();
        Assert.Equal(words.Count, words.Distinct().Count());
        Assert.All(ReportFormats.All, f => Assert.Equal(f.Format, ReportFormats.Parse(f.Words[0].ToUpperInvariant(), "--format")));
    }

    [Fact]
    public void A_word_that_is_no_format_is_refused_naming_the_argument_and_the_choices()
    {
        var refusal = Assert.Throws<DrToolsException>(() => ReportFormats.Parse("docx", "--format"));
        Assert.Equal("--format: 'docx' is not a report format (markdown, html, json, junit, nunit or pdf).", refusal.Message);
    }

    [Fact]
    public void The_reports_a_run_writes_never_replace_its_journal()
    {
        var folder = Directory.CreateTempSubdirectory("drtools-reports-").FullName;
        try
        {
            var files = Report.Files(Sample(), folder).Select(f => Path.GetFileName(f.Path)).ToList();
            Assert.Equal(["report.md", "report.html", "junit.xml", "nunit.xml"], files);
            Assert.DoesNotContain(RunJournal.FileName, files);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Each_text_format_carries_the_verdict_and_the_measured_recovery_time()
    {
        var journal = Sample();
        var markdown = Report.Render(journal, ReportFormat.Markdown);
        Assert.StartsWith("# PostgreSQL failover drill: PASSED", markdown, StringComparison.Ordinal);
        Assert.Contains("| recovery time (RTO) | ≤ 60 s | 0.681 s | yes |", markdown, StringComparison.Ordinal);

        var html = Report.Render(journal, ReportFormat.Html);
        Assert.Contains("0.681 s", html, StringComparison.Ordinal);
        Assert.Contains("PASSED", html, StringComparison.Ordinal);

        var json = Report.Render(journal, ReportFormat.Json);
        Assert.Equal(journal.Redacted().ToJson(), json);
        Assert.Contains("\"status\": \"passed\"", json, StringComparison.Ordinal);

        var junit = XDocument.Parse(Report.Render(journal, ReportFormat.JUnit));
        Assert.Empty(junit.Descendants("failure"));
        Assert.Contains(junit.Descendants("testcase"), t => (string?)t.Attribute("name") == "3: Fail over");

        var nunit = XDocument.Parse(Report.Render(journal, ReportFormat.NUnit));
        Assert.Equal("Success", (string?)nunit.Descendants("test-suite").First().Attribute("result"));
    }

    [Fact]
    public void A_pdf_is_a_file_and_its_text_is_refused()
    {
        var refusal = Assert.Throws<DrToolsException>(() => Report.Render(Sample(), ReportFormat.Pdf));
        Assert.Contains("a PDF report is a file, not text", refusal.Message, StringComparison.Ordinal);
    }
}
