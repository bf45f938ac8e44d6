using System.Globalization;
using System.Net;
using System.Text;

namespace DrTools.Core.Runbooks.Reports;

/// <summary>
/// The report as one self-contained HTML file (no scripts, no external resources): the Markdown report's tables plus a
/// timeline chart in inline SVG — a bar per step, the fault, the outage clients saw with its length, recovery and any
/// abort, each line named and every colour in the legend — and a sign-off block. It prints (and becomes the PDF) as is.
/// </summary>
internal static class HtmlReport
{
    private const int Plot = 740;
    private const int RowHeight = 22;
    private const double CharWidth = 6.4; // of the chart's 11px sans-serif text, a little generous so labels are never cut
    private const int LabelHeight = 14;

    /// <summary>Each colour the chart uses, what it means, and whether it is a line, a band or a bar.</summary>
    private static readonly (string Kind, string Color, string Shape, string Meaning)[] Legend =
    [
        ("step", "#2ca02c", "bar", "step passed"),
        ("step-failed", "#d62728", "bar", "step failed"),
        ("step-continued", "#ff9f1c", "bar", "step failed, run continued"),
        ("skipped", "#bbbbbb", "bar", "step skipped"),
        ("setup", "#9e9e9e", "bar", "targets being set up"),
        ("fault", "#d62728", "line", "fault injected"),
        ("fault-active", "#9467bd", "band", "fault in effect"),
        ("outage", "#d62728", "band", "outage seen by clients (write probe)"),
        ("recovery", "#1f77b4", "line", "recovery (promotion, rejoin, reads answered again)"),
        ("event", "#7f7f7f", "line", "HA manager or alert event"),
        ("abort", "#ff7f0e", "line", "abort"),
    ];

    private const string Style = "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
        + "table{border-collapse:collapse;margin-bottom:1.5em}"
        + "td,th{border:1px solid #bbb;padding:4px 8px;text-align:left;vertical-align:top}"
        + "th{background:#eee}.PASSED{color:#176317}.FAILED,.ABORTED,.CANCELLED{color:#a31515}"
        + "td.time{white-space:nowrap}td.hash{font-family:monospace;word-break:break-all}"
        + "table.summary th,table.environment th,table.approval th{white-space:nowrap}"
        + "table.approval td{min-width:22em;height:2.2em}table.approval td.blank{border-bottom:2px solid #222}"
        + "ul.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:4px 18px;font-size:13px}"
        + ".swatch{display:inline-block;width:18px;height:11px;margin-right:5px;vertical-align:middle}"
        + ".swatch.line{width:3px;height:14px}.swatch.band{opacity:.35}svg text{font-size:11px;font-family:system-ui,sans-serif}"
        // Narrower than the chart (a small window, a printed page): the whole chart scaled down, never cut at the right.
        + "svg.timeline{max-width:100%;height:auto}"
        + "@media print{body{margin:0}h2{break-after:avoid}tr,svg{break-inside:avoid}}";

    public static string Render(ReportContent content)
    {
        var html = new StringBuilder();
        html.AppendLine("<!DOCTYPE html>");
        html.AppendLine($"<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{E(content.Title)}</title>");
        html.AppendLine($"<style>{Style}</style>");
        html.AppendLine("</head><body>");
        var verdict = $"<span class=\"{content.Verdict.Split(' ')[0]}\">{E(content.Verdict)}</span>";
        html.AppendLine($"<h1>{E(content.Journal.Runbook)}: {verdict}</h1>");
        Fields(html, "summary", content.Summary);
        html.AppendLine("<h2>Objectives</h2>");
        if (content.Journal.Objectives.Count == 0) html.AppendLine("<p class=\"objectives\">No objective was set.</p>");
        else Table(html, "objectives", ReportContent.ObjectiveColumns, content.ObjectiveRows, 1, 2);
        html.AppendLine("<h2>Timeline</h2>");
        html.AppendLine(Chart(content.Journal));
        html.AppendLine("<ul class=\"legend\">");
        foreach (var (kind, color, shape, meaning) in Legend)
        {
            var swatch = $"<span class=\"swatch {shape}\" style=\"background:{color}\"></span>";
            html.AppendLine($"<li data-kind=\"{kind}\">{swatch}{E(meaning)}</li>");
        }
        html.AppendLine("</ul>");
        html.AppendLine("<h2>Steps</h2>");
        Table(html, "steps", ReportContent.StepColumns, content.StepRows, 3, 4);
        html.AppendLine("<h2>Measured figures</h2>");
        Table(html, "figures", ReportContent.FigureColumns, content.FigureRows, 1, 2);
        html.AppendLine("<h2>Events</h2><ul>");
        foreach (var line in content.TimelineLines) html.AppendLine($"<li><code>{E(line)}</code></li>");
        html.AppendLine("</ul><h2>How this was measured</h2><ul>");
        foreach (var method in content.Methods) html.AppendLine($"<li>{E(method)}</li>");
        html.AppendLine("</ul><h2>Environment</h2>");
        Fields(html, "environment", content.Environment);
        html.AppendLine("<h2>Approval</h2>");
        Fields(html, "approval", content.Approval);
        html.AppendLine("</body></html>");
        return html.ToString();
    }

    /// <summary>The timeline: one row per step that ran, on the run's clock, with named lines and bands across all rows.</summary>
    private static string Chart(RunJournal journal)
    {
        var steps = journal.Steps.Where(s => s.StartedAt is not null).ToList();
        var rowLabels = steps.Select(s => $"{s.Section.Label()} {s.Index + 1}: {s.Name}").Prepend("setup: targets").ToList();
        var left = (int)Math.Ceiling(rowLabels.Max(l => l.Length) * CharWidth) + 16;
        var width = left + Plot + 20;
        var lastEnd = steps.Select(s => (s.StartedAt!.Value + (s.Duration ?? TimeSpan.Zero)).TotalSeconds).DefaultIfEmpty(0).Max();
        var end = Math.Max(journal.Duration?.TotalSeconds ?? 0, lastEnd);
        var span = end <= 0 ? 1 : end;
        double X(TimeSpan at) => left + Plot * at.TotalSeconds / span;
        var marks = steps.SelectMany(s => s.Marks).ToList();
        var lines = marks.Where(m => m.Kind is MarkKind.Fault or MarkKind.Recovery or MarkKind.Event)
            .Select(m => (Kind: m.Kind switch { MarkKind.Fault => "fault", MarkKind.Recovery => "recovery", _ => "event" }, m.At, m.Name,
                Title: $"{m.Name}{(m.Detail is null ? "" : $": {m.Detail}")}"))
            .Concat(journal.AbortedAt is { } aborted ? [("abort", aborted, "abort", journal.AbortReason ?? "aborted")] : [])
            .OrderBy(l => l.At).ToList();
        // Each line's name above the chart, in the first lane where it overlaps no other name.
        var laneEnds = new List<double>();
        var labels = lines.Select(line =>
        {
            var x = X(line.At);
            var textWidth = line.Name.Length * CharWidth;
            var start = Math.Min(x, width - 4 - textWidth);
            var lane = laneEnds.FindIndex(e => e < start);
            if (lane < 0)
            {
                lane = laneEnds.Count;
                laneEnds.Add(0);
            }
            laneEnds[lane] = start + textWidth + 6;
            return (line.Kind, X: x, Start: start, Lane: lane, line.Name);
        }).ToList();
        var top = 12 + laneEnds.Count * LabelHeight + 8;
        var rows = Math.Max(1, steps.Count + (journal.TargetsReadyAt is null ? 0 : 1));
        var height = top + rows * RowHeight + 40;
        var svg = new StringBuilder();
        svg.AppendLine($"<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" "
            + $"viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"Timeline of the run\">");
        svg.AppendLine($"<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#fff\"/>");
        foreach (var tick in Ticks(span))
        {
            var x = F(X(TimeSpan.FromSeconds(tick)));
            svg.AppendLine($"<line class=\"tick\" x1=\"{x}\" y1=\"{top - 8}\" x2=\"{x}\" y2=\"{height - 30}\" stroke=\"#e3e3e3\"/>"
                + $"<text x=\"{x}\" y=\"{height - 16}\" text-anchor=\"middle\">{F(tick)} s</text>");
        }
        foreach (var band in marks.Where(m => m.Kind is MarkKind.Outage or MarkKind.FaultActive && m.Until is not null))
        {
            var x = X(band.At);
            var bandWidth = Math.Max(2, X(band.Until!.Value) - x);
            var (kind, label) = band.Kind == MarkKind.Outage ? ("outage", "write probe outage") : ("fault-active", "fault");
            var color = Legend.First(l => l.Kind == kind).Color;
            Rect(svg, kind, x, top - 8, bandWidth, height - top - 22, color, $"{band.Name}: {band.Detail}", " fill-opacity=\"0.25\"");
            // Its length printed on it, at the foot of the chart above the axis.
            svg.AppendLine($"<text class=\"{kind}-length\" x=\"{F(x + bandWidth / 2)}\" y=\"{height - 34}\" text-anchor=\"middle\" "
                + $"fill=\"{color}\" font-weight=\"bold\">{E($"{label} {Report.Seconds(band.Until.Value - band.At)}")}</text>");
        }
        if (journal.TargetsReadyAt is { } ready)
        {
            svg.AppendLine($"<text class=\"row-label\" x=\"{left - 6}\" y=\"{top + 14}\" text-anchor=\"end\">setup: targets</text>");
            Rect(svg, "setup", left, top + 3, Math.Max(2, X(ready) - left), RowHeight - 6, "#9e9e9e",
                $"targets ready after {Report.Seconds(ready)}");
        }
        var firstRow = journal.TargetsReadyAt is null ? 0 : 1;
        for (var row = 0; row < steps.Count; row++)
        {
            var step = steps[row];
            var y = top + (row + firstRow) * RowHeight;
            var x = X(step.StartedAt!.Value);
            var barWidth = Math.Max(2, X(step.StartedAt.Value + (step.Duration ?? TimeSpan.Zero)) - x);
            var color = Legend.First(l => l.Kind == step.Status switch
            {
                StepStatus.Passed => "step",
                StepStatus.Skipped => "skipped",
                _ => step.ContinueOnError ? "step-continued" : "step-failed",
            }).Color;
            svg.AppendLine($"<text class=\"row-label\" x=\"{left - 6}\" y=\"{y + 14}\" text-anchor=\"end\">{E(rowLabels[row + 1])}</text>");
            Rect(svg, "step", x, y + 3, barWidth, RowHeight - 6, color,
                $"{step.Name}: {ReportContent.StatusText(step)}, {Report.Seconds(step.Duration)}");
        }
        foreach (var (line, label) in lines.Zip(labels))
        {
            var color = Legend.First(l => l.Kind == line.Kind).Color;
            var labelY = 12 + label.Lane * LabelHeight + 10;
            svg.AppendLine($"<line class=\"{line.Kind}\" x1=\"{F(label.X)}\" y1=\"{labelY + 2}\" x2=\"{F(label.X)}\" y2=\"{height - 30}\" "
                + $"stroke=\"{color}\" stroke-width=\"2\"><title>{E(line.Title)}</title></line>");
            svg.AppendLine($"<text class=\"line-label\" x=\"{F(label.Start)}\" y=\"{labelY}\" fill=\"{color}\">{E(line.Name)}</text>");
        }
        svg.Append("</svg>");
        return svg.ToString();
    }

    private static void Rect(StringBuilder svg, string kind, double x, double y, double width, double height, string fill, string title,
        string extra = "") =>
        svg.AppendLine($"<rect class=\"{kind}\" x=\"{F(x)}\" y=\"{F(y)}\" width=\"{F(width)}\" height=\"{F(height)}\" "
            + $"fill=\"{fill}\"{extra}><title>{E(title)}</title></rect>");

    private static IEnumerable<double> Ticks(double span)
    {
        var step = new[] { 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600 }.FirstOrDefault(s => span / s <= 10, 7200);
        for (var tick = 0.0; tick <= span + 1e-9; tick += step) yield return Math.Round(tick, 3);
    }

    private static void Fields(StringBuilder html, string kind, IEnumerable<(string Label, string Value)> fields)
    {
        html.AppendLine($"<table class=\"{kind}\">");
        foreach (var (label, value) in fields)
        {
            var cell = label.EndsWith("SHA-256", StringComparison.Ordinal) ? " class=\"hash\""
                : value.Length == 0 ? " class=\"blank\""
                : "";
            html.AppendLine($"<tr><th>{E(label)}</th><td{cell}>{Lines(value)}</td></tr>");
        }
        html.AppendLine("</table>");
    }

    /// <summary>A table; the <paramref name="times"/> columns (times, durations, figures) never wrap between number and unit.</summary>
    private static void Table(StringBuilder html, string kind, string[] headers, IEnumerable<string[]> rows, params int[] times)
    {
        html.AppendLine($"<table class=\"{kind}\"><tr>{string.Concat(headers.Select(h => $"<th>{E(h)}</th>"))}</tr>");
        foreach (var row in rows)
        {
            var cells = row.Select((cell, column) => $"<td{(times.Contains(column) ? " class=\"time\"" : "")}>{Lines(cell)}</td>");
            html.AppendLine($"<tr>{string.Concat(cells)}</tr>");
        }
        html.AppendLine("</table>");
    }

    private static string Lines(string text) => string.Join("<br>", text.Split('\n').Select(E));
    // Control characters as visible escapes too: a raw ESC or BEL from a name is no character a page can show.
    private static string E(string text) => WebUtility.HtmlEncode(PrintableText.Escape(text));
    private static string F(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
