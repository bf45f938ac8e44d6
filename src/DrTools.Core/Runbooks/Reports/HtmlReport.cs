using System.Globalization;
using System.Net;
using System.Text;

namespace DrTools.Core.Runbooks.Reports;

/// <summary>
/// The report as one self-contained HTML file (no scripts, no external resources): the Markdown report's tables plus a
/// timeline chart in inline SVG: a bar per step, fault injection, the outage clients saw, recovery and any abort.
/// </summary>
internal static class HtmlReport
{
    private const int Width = 960;
    private const int Left = 220;
    private const int RowHeight = 22;
    private const int Top = 30;

    public static string Render(ReportContent content)
    {
        var html = new StringBuilder();
        html.AppendLine("<!DOCTYPE html>");
        html.AppendLine($"<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{E(content.Title)}</title>");
        html.AppendLine("<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin-bottom:1.5em}td,th{border:1px solid #bbb;padding:4px 8px;text-align:left;vertical-align:top}th{background:#eee}.PASSED{color:#176317}.FAILED,.ABORTED,.CANCELLED{color:#a31515}td.sign{min-width:16em;height:2em}svg text{font-size:11px;font-family:system-ui,sans-serif}</style>");
        html.AppendLine("</head><body>");
        html.AppendLine($"<h1>{E(content.Journal.Runbook)}: <span class=\"{content.Verdict.Split(' ')[0]}\">{E(content.Verdict)}</span></h1>");
        html.AppendLine("<table class=\"header\">");
        foreach (var (label, value) in content.Header) html.AppendLine($"<tr><th>{E(label)}</th><td{(label == "Reviewer" ? " class=\"sign\"" : "")}>{Lines(value)}</td></tr>");
        html.AppendLine("</table>");
        html.AppendLine("<h2>Timeline</h2>");
        html.AppendLine(Chart(content.Journal));
        html.AppendLine("<h2>Steps</h2>");
        Table(html, "steps", ReportContent.StepColumns, content.StepRows);
        html.AppendLine("<h2>Measured figures</h2>");
        Table(html, "figures", ReportContent.FigureColumns, content.FigureRows);
        html.AppendLine("<h2>Events</h2><ul>");
        foreach (var line in content.TimelineLines) html.AppendLine($"<li><code>{E(line)}</code></li>");
        html.AppendLine("</ul><h2>How this was measured</h2><ul>");
        foreach (var method in content.Methods) html.AppendLine($"<li>{E(method)}</li>");
        html.AppendLine("</ul></body></html>");
        return html.ToString();
    }

    /// <summary>The timeline: one row per step that ran, on the run's clock, with marks across all rows.</summary>
    private static string Chart(RunJournal journal)
    {
        var steps = journal.Steps.Where(s => s.StartedAt is not null).ToList();
        var end = Math.Max(journal.Duration?.TotalSeconds ?? 0, steps.Select(s => (s.StartedAt!.Value + (s.Duration ?? TimeSpan.Zero)).TotalSeconds).DefaultIfEmpty(0).Max());
        var span = end <= 0 ? 1 : end;
        var height = Top + Math.Max(1, steps.Count + (journal.TargetsReadyAt is null ? 0 : 1)) * RowHeight + 40;
        double X(TimeSpan at) => Left + (Width - Left - 20) * at.TotalSeconds / span;
        var svg = new StringBuilder();
        svg.AppendLine($"<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" role=\"img\" aria-label=\"Timeline of the run\">");
        svg.AppendLine($"<rect x=\"0\" y=\"0\" width=\"{Width}\" height=\"{height}\" fill=\"#fff\"/>");
        foreach (var tick in Ticks(span))
        {
            var x = F(X(TimeSpan.FromSeconds(tick)));
            svg.AppendLine($"<line class=\"tick\" x1=\"{x}\" y1=\"{Top - 8}\" x2=\"{x}\" y2=\"{height - 30}\" stroke=\"#e3e3e3\"/><text x=\"{x}\" y=\"{height - 16}\" text-anchor=\"middle\">{F(tick)} s</text>");
        }
        var marks = steps.SelectMany(s => s.Marks).ToList();
        foreach (var band in marks.Where(m => m.Kind is MarkKind.Outage or MarkKind.FaultActive && m.Until is not null))
        {
            var x = X(band.At);
            var (kind, color) = band.Kind == MarkKind.Outage ? ("outage", "#d62728") : ("fault-active", "#9467bd");
            svg.AppendLine($"<rect class=\"{kind}\" x=\"{F(x)}\" y=\"{Top - 8}\" width=\"{F(Math.Max(2, X(band.Until!.Value) - x))}\" height=\"{height - Top - 22}\" fill=\"{color}\" fill-opacity=\"0.25\"><title>{E($"{band.Name}: {band.Detail}")}</title></rect>");
        }
        if (journal.TargetsReadyAt is { } ready)
        {
            svg.AppendLine($"<text x=\"{Left - 6}\" y=\"{Top + 14}\" text-anchor=\"end\">setup: targets</text>");
            svg.AppendLine($"<rect class=\"setup\" x=\"{Left}\" y=\"{Top + 3}\" width=\"{F(Math.Max(2, X(ready) - Left))}\" height=\"{RowHeight - 6}\" fill=\"#9e9e9e\"><title>{E($"targets ready after {Report.Seconds(ready)}")}</title></rect>");
        }
        var firstRow = journal.TargetsReadyAt is null ? 0 : 1;
        for (var row = 0; row < steps.Count; row++)
        {
            var step = steps[row];
            var y = Top + (row + firstRow) * RowHeight;
            var x = X(step.StartedAt!.Value);
            var width = Math.Max(2, X(step.StartedAt.Value + (step.Duration ?? TimeSpan.Zero)) - x);
            var color = step.Status switch { StepStatus.Passed => "#2ca02c", StepStatus.Skipped => "#bbbbbb", _ => step.ContinueOnError ? "#ff9f1c" : "#d62728" };
            svg.AppendLine($"<text x=\"{Left - 6}\" y=\"{y + 14}\" text-anchor=\"end\">{E(Truncate($"{step.Section.Label()} {step.Index + 1}: {step.Name}"))}</text>");
            svg.AppendLine($"<rect class=\"step\" x=\"{F(x)}\" y=\"{y + 3}\" width=\"{F(width)}\" height=\"{RowHeight - 6}\" fill=\"{color}\"><title>{E($"{step.Name}: {ReportContent.StatusText(step)}, {Report.Seconds(step.Duration)}")}</title></rect>");
        }
        foreach (var mark in marks.Where(m => m.Kind is MarkKind.Fault or MarkKind.Recovery or MarkKind.Event))
        {
            var (kind, color) = mark.Kind switch { MarkKind.Fault => ("fault", "#d62728"), MarkKind.Recovery => ("recovery", "#1f77b4"), _ => ("event", "#7f7f7f") };
            Marker(svg, kind, color, X(mark.At), height, $"{mark.Name}{(mark.Detail is null ? "" : $": {mark.Detail}")}");
        }
        if (journal.AbortedAt is { } aborted) Marker(svg, "abort", "#ff7f0e", X(aborted), height, journal.AbortReason ?? "aborted");
        svg.AppendLine($"<text x=\"{Left}\" y=\"14\">fault (red line) · fault in effect (purple band) · outage seen by clients (red band) · recovery (blue line) · HA manager event (grey line) · abort (orange line)</text>");
        svg.Append("</svg>");
        return svg.ToString();
    }

    private static void Marker(StringBuilder svg, string kind, string color, double x, int height, string title) =>
        svg.AppendLine($"<line class=\"{kind}\" x1=\"{F(x)}\" y1=\"{Top - 8}\" x2=\"{F(x)}\" y2=\"{height - 30}\" stroke=\"{color}\" stroke-width=\"2\"><title>{E(title)}</title></line>");

    private static IEnumerable<double> Ticks(double span)
    {
        var step = new[] { 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600 }.FirstOrDefault(s => span / s <= 10, 7200);
        for (var tick = 0.0; tick <= span + 1e-9; tick += step) yield return Math.Round(tick, 3);
    }

    private static void Table(StringBuilder html, string kind, string[] headers, IEnumerable<string[]> rows)
    {
        html.AppendLine($"<table class=\"{kind}\"><tr>{string.Concat(headers.Select(h => $"<th>{E(h)}</th>"))}</tr>");
        foreach (var row in rows) html.AppendLine($"<tr>{string.Concat(row.Select(c => $"<td>{Lines(c)}</td>"))}</tr>");
        html.AppendLine("</table>");
    }

    private static string Truncate(string text) => text.Length > 34 ? text[..33] + "…" : text;
    private static string Lines(string text) => string.Join("<br>", text.Split('\n').Select(E));
    private static string E(string text) => WebUtility.HtmlEncode(text);
    private static string F(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
