using System.Text;

namespace DrTools.Core.Runbooks.Reports;

/// <summary>The report as Markdown: summary, objectives, steps, every figure with its target and method, environment, sign-off.</summary>
internal static class MarkdownReport
{
    public static string Render(ReportContent content)
    {
        var text = new StringBuilder();
        text.AppendLine($"# {Cell(content.Title.Replace('\n', ' '))}").AppendLine();
        Table(text, ["Field", "Value"], content.Summary.Select(h => new[] { h.Label, h.Value }));
        text.AppendLine().AppendLine("## Objectives").AppendLine();
        if (content.Journal.Objectives.Count == 0) text.AppendLine("No objective was set.");
        else Table(text, ReportContent.ObjectiveColumns, content.ObjectiveRows);
        text.AppendLine().AppendLine("## Steps").AppendLine();
        Table(text, ReportContent.StepColumns, content.StepRows);
        text.AppendLine().AppendLine("## Measured figures").AppendLine();
        Table(text, ReportContent.FigureColumns, content.FigureRows);
        text.AppendLine().AppendLine("## Timeline").AppendLine();
        foreach (var line in content.TimelineLines) text.AppendLine($"- {Cell(line)}");
        text.AppendLine().AppendLine("## How this was measured").AppendLine();
        foreach (var method in content.Methods) text.AppendLine($"- {Cell(method)}");
        text.AppendLine().AppendLine("## Environment").AppendLine();
        Table(text, ["Field", "Value"], content.Environment.Select(h => new[] { h.Label, h.Value }));
        text.AppendLine().AppendLine("## Approval").AppendLine();
        Table(text, ["Field", "Value"], content.Approval.Select(h => new[] { h.Label, h.Value }));
        return text.ToString();
    }

    private static void Table(StringBuilder text, string[] headers, IEnumerable<string[]> rows)
    {
        text.AppendLine($"| {string.Join(" | ", headers)} |");
        text.AppendLine($"|{string.Concat(headers.Select(_ => "---|"))}");
        foreach (var row in rows) text.AppendLine($"| {string.Join(" | ", row.Select(Cell))} |");
    }

    /// <summary>
    /// Text from step names and servers' errors as inert Markdown: HTML is shown as text (no &lt;script&gt;, no
    /// onerror), brackets cannot open a link or a remote image, backticks no code span, '|' no new cell.
    /// </summary>
    private static string Cell(string value)
    {
        var cell = new StringBuilder(value.Length + 16);
        foreach (var c in PrintableText.Escape(value))
        {
            cell.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '\n' => "<br>",
                '\\' or '`' or '[' or ']' or '|' => $"\\{c}",
                _ => c.ToString(),
            });
        }
        return cell.ToString();
    }
}
