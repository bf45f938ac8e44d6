using System.Globalization;

namespace DrTools.Core.Runbooks.Reports;

public enum ReportFormat { Markdown, Html, Json, JUnit, NUnit }

/// <summary>Reports of a run, all made from its journal: Markdown and HTML for people, JSON (the journal), JUnit and NUnit XML for CI.</summary>
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
            _ => stored.ToJson(),
        };
    }

    public static string FileName(ReportFormat format) => format switch
    {
        ReportFormat.Markdown => "report.md",
        ReportFormat.Html => "report.html",
        ReportFormat.JUnit => "junit.xml",
        ReportFormat.NUnit => "nunit.xml",
        _ => "journal.json",
    };

    /// <summary>Writes every report beside the journal (the journal itself is already there).</summary>
    public static void WriteAll(RunJournal journal, string folder)
    {
        foreach (var format in new[] { ReportFormat.Markdown, ReportFormat.Html, ReportFormat.JUnit, ReportFormat.NUnit })
        {
            AtomicFile.Write(Path.Combine(folder, FileName(format)), Render(journal, format));
        }
    }

    public static ReportFormat ParseFormat(string text, string argument) => text.ToLowerInvariant() switch
    {
        "md" or "markdown" => ReportFormat.Markdown,
        "html" => ReportFormat.Html,
        "json" => ReportFormat.Json,
        "junit" or "xml" => ReportFormat.JUnit,
        "nunit" => ReportFormat.NUnit,
        _ => throw new DrToolsException($"{argument}: '{text}' is not a report format (markdown, html, json, junit or nunit).", DrErrorKind.InvalidArgument),
    };

    public static string Seconds(double seconds) => $"{seconds.ToString(seconds >= 100 ? "0.#" : "0.###", CultureInfo.InvariantCulture)} s";

    public static string Seconds(TimeSpan? span) => span is { } value ? Seconds(value.TotalSeconds) : "-";
}

/// <summary>What the Markdown and HTML reports both show, as rows of text.</summary>
internal sealed class ReportContent(RunJournal journal)
{
    public RunJournal Journal { get; } = journal;

    public string Verdict => Journal.Status switch
    {
        RunStatus.Passed => "PASSED",
        RunStatus.Aborted => "ABORTED",
        RunStatus.Cancelled => "CANCELLED",
        RunStatus.Killed => "KILLED (the run's process ended before it finished)",
        RunStatus.Running => "RUNNING (incomplete journal)",
        _ => "FAILED",
    };

    public string Title => $"{Journal.Runbook}: {Verdict}";

    public IReadOnlyList<(string Label, string Value)> Header =>
    [
        ("Test date", Journal.StartedAt.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
        ("Test type", Journal.TestType),
        ("Start time", Time(Journal.StartedAt)),
        ("End time", Journal.EndedAt is { } ended ? Time(ended) : "-"),
        ("Total duration", Report.Seconds(Journal.Duration)),
        ("RTO met", Objective("rto")),
        ("RPO met", Objective("rpo")),
        ("Result", Journal.AbortReason is { } reason ? $"{Verdict}: {reason}" : Verdict),
        ("Issues encountered", Journal.Issues.Count == 0 ? "none" : string.Join("\n", Journal.Issues)),
        ("Remediation actions", Journal.RemediationActions.Count == 0 ? "none" : string.Join("\n", Journal.RemediationActions)),
        ("Tester", Journal.Tester),
        ("Reviewer", ""),
        ("Targets", string.Join("\n", Journal.Targets.Select(t => $"{t.Key}: {t.Value}"))),
        ("Runbook", Journal.Source),
        ("Run", $"{Journal.Id} on {Journal.Host}, DrTools {Journal.DrToolsVersion}"),
    ];

    public static readonly string[] StepColumns = ["#", "Step", "Operation", "Start", "Duration", "Result", "Details"];

    public IEnumerable<string[]> StepRows => Journal.Steps.Select(step => new[]
    {
        $"{step.Section.Label()} {step.Index + 1}",
        step.Name,
        step.Operation,
        step.StartedAt is { } start ? $"+{Report.Seconds(start)}" : "-",
        Report.Seconds(step.Duration),
        StatusText(step),
        step.Message ?? step.Summary ?? "",
    });

    public static readonly string[] FigureColumns = ["Figure", "Measured", "Target", "Met", "How measured"];

    /// <summary>Objectives first, then every figure a step measured.</summary>
    public IEnumerable<string[]> FigureRows =>
        Journal.Objectives.Select(o => o.Measurement is { } figure
                ? Row(figure, "objective")
                : [$"objective {o.Name.ToUpperInvariant()}", "not measured", $"≤ {Number(o.Target, o.Unit)}", "no", o.NotMeasuredBecause ?? ""])
            .Concat(Journal.Steps.SelectMany(step => step.Measurements.Select(m => Row(m, step.Name))));

    public IEnumerable<string> TimelineLines =>
        Journal.Steps.Where(s => s.StartedAt is not null).SelectMany(s =>
                new[] { (At: s.StartedAt!.Value, Text: $"{s.Name} started ({s.Operation})") }
                    .Concat(s.Marks.Select(m => (m.At, Text: m.Until is { } until ? $"{m.Name} until +{Report.Seconds(until)}{(m.Detail is null ? "" : $" ({m.Detail})")}" : $"{m.Name}{(m.Detail is null ? "" : $": {m.Detail}")}")))
                    .Append((At: s.StartedAt.Value + (s.Duration ?? TimeSpan.Zero), Text: $"{s.Name}: {StatusText(s)}")))
            .Concat(Journal.TargetsReadyAt is { } ready ? [(At: ready, Text: "targets ready")] : [])
            .Concat(Journal.AbortedAt is { } aborted ? [(At: aborted, Text: Journal.AbortReason ?? "aborted")] : [])
            .OrderBy(e => e.At)
            .Select(e => $"+{Report.Seconds(e.At)}  {e.Text}");

    public IEnumerable<string> Methods =>
        new[] { Journal.HowMeasured }.Concat(Journal.Objectives.Where(o => o.Measurement is not null).Select(o => $"{o.Name.ToUpperInvariant()}: {o.Measurement!.Method}"));

    private static string[] Row(Measurement m, string subject) =>
    [
        m.Name.StartsWith(subject, StringComparison.Ordinal) ? m.Name : $"{subject}: {m.Name}",
        Number(m.Measured, m.Unit) + (m.Samples > 1 ? $" (max of {m.Samples}, p95 {Number(m.P95 ?? m.Measured, m.Unit)})" : ""),
        m.Target is { } target ? $"≤ {Number(target, m.Unit)}" : "-",
        m.Met switch { true => "yes", false => "no", null => "-" },
        m.Method,
    ];

    private static string Number(double value, string unit) => FigureText.Of(value, unit);

    private string Objective(string name) => Journal.Objectives.FirstOrDefault(o => o.Name == name) is { } objective
        ? objective.Measurement is { } figure
            ? $"{(objective.Met ? "yes" : "no")} ({Number(figure.Measured, figure.Unit)} measured, target ≤ {Number(objective.Target, objective.Unit)})"
            : $"no (not measured: {objective.NotMeasuredBecause})"
        : "n/a (no objective set)";

    public static string StatusText(StepRecord step) => step.Status switch
    {
        StepStatus.Passed => "PASS",
        StepStatus.Failed => step.ContinueOnError ? "FAIL (continued)" : "FAIL",
        StepStatus.TimedOut => "TIMED OUT",
        StepStatus.Aborted => "ABORTED",
        StepStatus.Cancelled => "CANCELLED",
        StepStatus.Skipped => "skipped",
        StepStatus.Running => "running",
        _ => "not run",
    };

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff 'UTC'", CultureInfo.InvariantCulture);
}
