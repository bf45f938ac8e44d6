using System.Diagnostics;
using System.Globalization;

namespace DrTools.Core.Runbooks.Reports;

/// <summary>What the Markdown, HTML and PDF reports all show, as rows of text.</summary>
internal sealed class ReportContent(RunJournal journal)
{
    public RunJournal Journal { get; } = journal;

    /// <summary>SHA-256 of the journal the report was made from: equal to journal.json's while the journal is unchanged.</summary>
    public string JournalSha256 { get; } = journal.ContentSha256();

    public string Verdict => Journal.Status switch
    {
        RunStatus.Passed => "PASSED",
        RunStatus.Aborted => "ABORTED",
        RunStatus.Cancelled => "CANCELLED",
        RunStatus.Killed => "KILLED (the run's process ended before it finished)",
        RunStatus.Running => "RUNNING (incomplete journal)",
        RunStatus.Failed => "FAILED",
        _ => throw new UnreachableException($"run status {Journal.Status}"),
    };

    public string Title => $"{Journal.Runbook}: {Verdict}";

    /// <summary>What was tested, when, with what result, and by whom.</summary>
    public IReadOnlyList<(string Label, string Value)> Summary =>
    [
        ("Test date", Journal.StartedAt.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
        ("Test type", Journal.TestType),
        ("Start time", Time(Journal.StartedAt)),
        ("End time", Journal.EndedAt is { } ended ? Time(ended) : "-"),
        ("Total duration", Report.Seconds(Journal.Duration)),
        ("Result", Journal.AbortReason is { } reason ? $"{Verdict}: {reason}" : Verdict),
        ("Issues encountered", Journal.Issues.Count == 0 ? "none" : string.Join("\n", Journal.Issues)),
        ("Remediation actions", Journal.RemediationActions.Count == 0 ? "none" : string.Join("\n", Journal.RemediationActions)),
        ("Cleanup", Journal.CleanupActions.Count == 0 ? "none" : string.Join("\n", Journal.CleanupActions)),
        ("Operator", Journal.TesterSource is { } source ? $"{Journal.Tester} ({source})" : Journal.Tester),
        ("Targets", string.Join("\n", Journal.Targets.Select(t => $"{t.Key}: {t.Value}"))),
        ("Runbook", Journal.Source),
    ];

    /// <summary>Where it ran and with what, and the journal's hash, so a copy of the report can be checked against the history.</summary>
    public IReadOnlyList<(string Label, string Value)> Environment =>
    [
        ("Run", $"{Journal.Id} on {Journal.Host}"),
        ("Operating system", Journal.Environment?.OperatingSystem ?? "not recorded"),
        ("DrTools", Journal.Environment is { } environment
            ? $"{environment.DrToolsVersion}{(environment.DrToolsCommit is { } commit ? $", commit {commit}" : "")}"
            : Journal.DrToolsVersion),
        ("Servers", Journal.Environment is { Servers.Count: > 0 } withServers
            ? string.Join("\n", withServers.Servers.Select(s => $"{s.Key}: {s.Value}"))
            : "not recorded"),
        ("Runbook SHA-256", Journal.Environment?.RunbookSha256 ?? "not recorded (not run from a file)"),
        ("Journal SHA-256", $"{JournalSha256} (of journal.json in the run's folder: sha256sum shows the same while it is unchanged)"),
    ];

    /// <summary>The sign-off: filled by drtools report sign / Approve-DrReport, blank lines to sign on paper until then.</summary>
    public IReadOnlyList<(string Label, string Value)> Approval => Journal.Approval is { } approval
        ?
        [
            ("Reviewer", approval.Reviewer),
            ("Date", Time(approval.ApprovedAt)),
            ("Signature", $"approved in the journal by {approval.Reviewer}{(approval.Note is { } note ? $": {note}" : "")}"),
            ("Approved journal SHA-256", approval.ApprovedJournalSha256),
        ]
        :
        [
            ("Reviewer", ""),
            ("Date", ""),
            ("Signature", ""),
            ("Status", $"not reviewed: drtools report sign {Journal.Folder ?? "FOLDER"} --reviewer NAME (or Approve-DrReport) records it"),
        ];

    public static readonly string[] ObjectiveColumns = ["Objective", "Target", "Measured", "Met", "How measured"];

    public IEnumerable<string[]> ObjectiveRows => Journal.Objectives.Select(o => o.Measurement is { } figure
        ?
        [
            figure.Name.Contains(o.Name.ToUpperInvariant(), StringComparison.Ordinal)
                ? figure.Name
                : $"{o.Name.ToUpperInvariant()}: {figure.Name}",
            $"{FigureText.Bound(o.AtLeast)} {Number(o.Target, o.Unit)}", Measured(figure), o.Met ? "yes" : "no", figure.Method,
        ]
        : new[]
        {
            o.Name.ToUpperInvariant(), $"{FigureText.Bound(o.AtLeast)} {Number(o.Target, o.Unit)}", "not measured", "no",
            o.NotMeasuredBecause ?? "",
        });

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

    /// <summary>Every figure a step measured (the objectives have their own table).</summary>
    public IEnumerable<string[]> FigureRows => Journal.Steps.SelectMany(step => step.Measurements.Select(m => new[]
    {
        m.Name.StartsWith(step.Name, StringComparison.Ordinal) ? m.Name : $"{step.Name}: {m.Name}",
        Measured(m),
        m.Target is { } target ? $"{FigureText.Bound(m.AtLeast)} {Number(target, m.Unit)}" : "-",
        m.Met switch { true => "yes", false => "no", null => "-" },
        m.Method,
    }));

    public IEnumerable<string> TimelineLines =>
        Journal.Steps.Where(s => s.StartedAt is not null).SelectMany(s =>
                new[] { (At: s.StartedAt!.Value, Text: $"{s.Name} started ({s.Operation})") }
                    .Concat(s.Marks.Select(m => (m.At, Text: m.Until is { } until
                        ? $"{m.Name} until +{Report.Seconds(until)}{(m.Detail is null ? "" : $" ({m.Detail})")}"
                        : $"{m.Name}{(m.Detail is null ? "" : $": {m.Detail}")}")))
                    .Append((At: s.StartedAt.Value + (s.Duration ?? TimeSpan.Zero), Text: $"{s.Name}: {StatusText(s)}")))
            .Concat(Journal.TargetsReadyAt is { } ready ? [(At: ready, Text: "targets ready")] : [])
            .Concat(Journal.AbortedAt is { } aborted ? [(At: aborted, Text: Journal.AbortReason ?? "aborted")] : [])
            .OrderBy(e => e.At)
            .Select(e => $"+{Report.Seconds(e.At)}  {e.Text}");

    public IEnumerable<string> Methods => [Journal.HowMeasured];

    private static string Measured(Measurement m) =>
        Number(m.Measured, m.Unit) + (m.Samples > 1 ? $" (max of {m.Samples}, p95 {Number(m.P95 ?? m.Measured, m.Unit)})" : "");

    private static string Number(double value, string unit) => FigureText.Of(value, unit);

    public static string StatusText(StepRecord step) => step.Status switch
    {
        StepStatus.Passed => "PASS",
        StepStatus.Failed => step.ContinueOnError ? "FAIL (continued)" : "FAIL",
        StepStatus.TimedOut => "TIMED OUT",
        StepStatus.Aborted => "ABORTED",
        StepStatus.Cancelled => "CANCELLED",
        StepStatus.Skipped => "skipped",
        StepStatus.Running => "running",
        StepStatus.Pending => "not run",
        _ => throw new UnreachableException($"step status {step.Status}"),
    };

    private static string Time(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff 'UTC'", CultureInfo.InvariantCulture);
}
