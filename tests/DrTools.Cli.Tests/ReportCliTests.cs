using System.Security.Cryptography;
using DrTools.Core.Runbooks;
using DrTools.Core.Tests;

namespace DrTools.Cli.Tests;

/// <summary>The report an auditor reads: objectives first, who/where/what, cleanup apart, a legible timeline, sign-off, PDF.</summary>
public sealed class ReportCliTests
{
    private const string Runbook = """
        name: Report review drill
        type: Database failover test
        objectives: { rto: 60s, rpo: 0s }
        targets:
          db: { sandbox: { standbys: 1, synchronous: true } }
        steps:
          - { name: Create table, run: Invoke-DbQuery, with: { target: db, query: "create table drill_orders (id int primary key)" } }
          - name: Fail over the primary of the synchronous pair
            run: Invoke-DbFailover
            with: { target: db, mode: Failover, rejoin: true }
            objective: [rto, rpo]
            timeout: 5m
        cleanup:
          - { name: Remove sandbox, run: Remove-DrSandbox, with: { target: db } }
        """;

    [Fact]
    public async Task The_report_shows_objectives_first_who_where_and_what_a_legend_and_is_signed_once_with_the_journal_hash()
    {
        using var root = new TemporaryRoot();
        using var history = new TemporaryRoot();
        var file = Path.Combine(history.Path, "drill.yml");
        File.WriteAllText(file, Runbook);
        var run = await Drtools.RunAsync(TimeSpan.FromMinutes(5),
            "run", file, "--history", Path.Combine(history.Path, "runs"), "--root", root.Path, "--tester", "Alice Operator");
        Assert.True(run.ExitCode == 0, run.All);
        root.AssertNothingLeft();
        var journal = RunJournal.Load(Assert.Single(Directory.GetFiles(history.Path, "journal.json", SearchOption.AllDirectories)));
        var folder = journal.Folder!;
        var markdown = File.ReadAllText(Path.Combine(folder, "report.md"));

        // Objectives in their own table, before the steps and the figures.
        Assert.Matches(@"\| Objective \| Target \| Measured \| Met \| How measured \|", markdown);
        Assert.Matches(@"\| recovery time \(RTO\) \| ≤ 60 s \| [\d.]+ s \| yes \|", markdown);
        Assert.True(markdown.IndexOf("## Objectives", StringComparison.Ordinal) < markdown.IndexOf("## Steps", StringComparison.Ordinal));
        // Cleanup is not remediation; a statement without a row count is not "-1 row(s)".
        Assert.Contains("| Remediation actions | none |", markdown);
        Assert.Matches(@"\| Cleanup \| cleanup 1: Remove sandbox \(Remove-DrSandbox\): sandbox \S+ removed \|", markdown);
        Assert.DoesNotContain("-1 row", markdown);
        Assert.Contains("| step 1 | Create table | Invoke-DbQuery |", markdown);
        Assert.Matches(@"\| PASS \| done on node0 \(127\.0\.0\.1:\d+\) \(a statement without a row count\) \|", markdown);
        // Who, where, what: the operator given, the servers' engine and version, the runbook's and the journal's hashes.
        Assert.Contains("| Operator | Alice Operator (given with --tester / -Tester) |", markdown);
        Assert.Matches(@"\| Servers \| db: postgresql 1\d\.\d+ [^|]*: node0 \(127\.0\.0\.1:\d+\), node1 \(127\.0\.0\.1:\d+\) \|", markdown);
        Assert.Matches(@"\| DrTools \| \d+\.\d+\.\d+, commit [0-9a-f]{7,} \|", markdown);
        Assert.Contains($"| Runbook SHA-256 | {Sha256(file)} |", markdown);
        var unsignedHash = Sha256(Path.Combine(folder, "journal.json"));
        Assert.Contains($"| Journal SHA-256 | {unsignedHash} ", markdown);
        Assert.Contains("| Reviewer |  |", markdown);

        await AssertLaidOutAsync(Path.Combine(folder, "report.html"), reviewer: null);

        var sign = await Drtools.RunAsync("report", "sign", folder, "--reviewer", "Bob Reviewer", "--note", "figures checked");
        Assert.True(sign.ExitCode == 0, sign.All);
        var signed = RunJournal.Load(Path.Combine(folder, "journal.json"));
        var approval = signed.Approval!;
        Assert.Equal(("Bob Reviewer", "figures checked", unsignedHash), (approval.Reviewer, approval.Note, approval.ApprovedJournalSha256));
        Assert.True(DateTimeOffset.UtcNow - approval.ApprovedAt < TimeSpan.FromMinutes(1));
        var signedHash = Sha256(Path.Combine(folder, "journal.json"));
        Assert.NotEqual(unsignedHash, signedHash);
        Assert.Contains($"journal SHA-256 now:      {signedHash}", sign.StandardOutput);
        var resigned = File.ReadAllText(Path.Combine(folder, "report.md"));
        Assert.Contains("| Reviewer | Bob Reviewer |", resigned);
        Assert.Contains($"| Approved journal SHA-256 | {unsignedHash} |", resigned);
        Assert.Contains($"| Journal SHA-256 | {signedHash} ", resigned);
        await AssertLaidOutAsync(Path.Combine(folder, "report.html"), reviewer: "Bob Reviewer");

        var again = await Drtools.RunAsync("report", "sign", folder, "--reviewer", "Eve");
        Assert.True(again.ExitCode == 2, again.All);
        Assert.StartsWith($"drtools: run {journal.Id} was already approved by Bob Reviewer at ", again.StandardError);
        Assert.Equal(signedHash, Sha256(Path.Combine(folder, "journal.json")));

        // PDF: headless Chromium prints the HTML report; without it, one line naming what to install.
        var pdf = Path.Combine(history.Path, "report.pdf");
        var printed = await Drtools.RunAsync(TimeSpan.FromMinutes(2), "report", folder, "--format", "pdf", "--output", pdf);
        Assert.True(printed.ExitCode == 0, printed.All);
        var bytes = File.ReadAllBytes(pdf);
        Assert.Equal("%PDF-", System.Text.Encoding.ASCII.GetString(bytes, 0, 5));
        Assert.True(bytes.Length > 20_000, $"{bytes.Length} bytes");
        var noBrowser = new Dictionary<string, string> { ["DRTOOLS_CHROMIUM"] = "/nonexistent/chromium" };
        var missing = await Drtools.RunAsync(noBrowser, "report", folder, "--format", "pdf", "--output", pdf + ".2");
        Assert.True(missing.ExitCode == 2, missing.All);
        Assert.StartsWith("drtools: a PDF report is printed by headless Chromium, which was not found", missing.StandardError);
        Assert.False(File.Exists(pdf + ".2"));
        var toTerminal = await Drtools.RunAsync("report", folder, "--format", "pdf");
        Assert.Equal(2, toTerminal.ExitCode);
        Assert.Equal("drtools: --format pdf writes a file: give --output FILE.", toTerminal.StandardError.Trim());
    }

    [Fact]
    public async Task The_operator_is_DRTOOLS_TESTER_when_not_given_else_the_OS_account_said_to_be_one()
    {
        using var root = new TemporaryRoot();
        using var history = new TemporaryRoot();
        var file = Path.Combine(history.Path, "who.yml");
        File.WriteAllText(file, """
            name: Who ran it
            targets:
              db: { sandbox: { standbys: 0 } }
            steps:
              - { name: Healthy, run: Get-DbClusterStatus, with: { target: db } }
            cleanup:
              - { name: Remove sandbox, run: Remove-DrSandbox, with: { target: db } }
            """);
        var operators = new List<string>();
        foreach (var tester in new[] { "Carol from the environment", "" })
        {
            var environment = new Dictionary<string, string> { ["DRTOOLS_TESTER"] = tester };
            var runs = Path.Combine(history.Path, $"runs{operators.Count}");
            var run = await Drtools.RunAsync(environment, "run", file, "--history", runs, "--root", root.Path);
            Assert.True(run.ExitCode == 0, run.All);
            var markdown = File.ReadAllText(Assert.Single(Directory.GetFiles(runs, "report.md", SearchOption.AllDirectories)));
            operators.Add(markdown.Split('\n').Single(l => l.StartsWith("| Operator |", StringComparison.Ordinal)));
        }
        Assert.Equal("| Operator | Carol from the environment (DRTOOLS_TESTER) |", operators[0]);
        Assert.Equal($"| Operator | {Environment.UserName} (the OS account: name the operator with --tester, -Tester or DRTOOLS_TESTER) |",
            operators[1]);
        root.AssertNothingLeft();
    }

    /// <summary>The HTML report as Chromium lays it out: objectives table above the chart, a legend of swatches, uncut row labels,
    /// named lines, the outage's length on its band, times on one line, and the approval block.</summary>
    private static async Task AssertLaidOutAsync(string html, string? reviewer)
    {
        await using var browser = await HeadlessChromium.OpenAsync(html);
        var page = await browser.EvaluateAsync("""
            (() => {
              const top = e => e ? e.getBoundingClientRect().top : -1;
              const svg = document.querySelector('svg.timeline');
              return {
                objectives: document.querySelectorAll('table.objectives tr').length,
                objectivesTop: top(document.querySelector('table.objectives')),
                chartTop: top(svg), figuresTop: top(document.querySelector('table.figures')),
                swatches: [...document.querySelectorAll('ul.legend li .swatch')].map(s => getComputedStyle(s).backgroundColor),
                legend: [...document.querySelectorAll('ul.legend li')].map(l => l.textContent),
                labelsCut: [...svg.querySelectorAll('text.row-label')].filter(t => t.getBBox().x < 0 || t.textContent.endsWith('…')).length,
                rowLabels: svg.querySelectorAll('text.row-label').length,
                lineLabels: [...svg.querySelectorAll('text.line-label')].map(t => t.textContent),
                lines: svg.querySelectorAll('line.fault, line.recovery, line.event, line.abort').length,
                outage: (svg.querySelector('text.outage-length') || {}).textContent || '',
                wrappedTimes: [...document.querySelectorAll('td.time')].filter(td => {
                  const range = document.createRange();
                  range.selectNodeContents(td);
                  return range.getClientRects().length > 1;
                }).length,
                approval: [...document.querySelectorAll('table.approval tr')]
                  .map(r => r.cells[0].textContent + '=' + r.cells[1].textContent),
              };
            })()
            """);
        var text = page.ToString();
        Assert.True(page.GetProperty("objectives").GetInt32() == 3, text);
        Assert.True(page.GetProperty("objectivesTop").GetDouble() < page.GetProperty("chartTop").GetDouble(), text);
        Assert.True(page.GetProperty("chartTop").GetDouble() < page.GetProperty("figuresTop").GetDouble(), text);
        var swatches = page.GetProperty("swatches").EnumerateArray().Select(s => s.GetString()).ToList();
        Assert.True(swatches.Count >= 8 && swatches.All(c => c != "rgba(0, 0, 0, 0)"), text);
        Assert.Contains(page.GetProperty("legend").EnumerateArray(), l => l.GetString() == "outage seen by clients (write probe)");
        Assert.Equal(0, page.GetProperty("labelsCut").GetInt32());
        Assert.Equal(4, page.GetProperty("rowLabels").GetInt32());
        var named = page.GetProperty("lineLabels").EnumerateArray().Select(l => l.GetString()).ToList();
        Assert.Equal(page.GetProperty("lines").GetInt32(), named.Count);
        Assert.Contains("promotion finished", named);
        Assert.Matches(@"^write probe outage [\d.]+ s$", page.GetProperty("outage").GetString());
        Assert.Contains("read probe answered again", named);
        Assert.Equal(0, page.GetProperty("wrappedTimes").GetInt32());
        var approval = page.GetProperty("approval").EnumerateArray().Select(a => a.GetString()).ToList();
        Assert.Contains($"Reviewer={reviewer ?? ""}", approval);
        Assert.Contains(approval, a => a!.StartsWith("Date=", StringComparison.Ordinal) && (reviewer is null) == (a == "Date="));
        Assert.Contains(approval, a => a!.StartsWith("Signature=", StringComparison.Ordinal));
        // On a page narrower than the chart (a printed A4 page, a small window) the chart is scaled down, not cut at the right.
        var narrow = await browser.EvaluateAsync("""
            (() => {
              document.body.style.width = '600px';
              const svg = document.querySelector('svg.timeline').getBoundingClientRect();
              return svg.width > 100 && svg.right <= document.body.getBoundingClientRect().right + 1;
            })()
            """);
        Assert.True(narrow.GetBoolean());
        await browser.EvaluateAsync("document.body.style.width = ''");
        // The screenshot a person would see: a real PNG of the whole laid-out page, kept beside the report.
        var png = await browser.ScreenshotAsync();
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        Assert.True(png.Length > 50_000, $"{png.Length} bytes");
        File.WriteAllBytes(Path.ChangeExtension(html, reviewer is null ? ".unsigned.png" : ".signed.png"), png);
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
