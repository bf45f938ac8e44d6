using System.Globalization;
using System.Text;

namespace DrTools.Core.Metrics;

/// <summary>The Prometheus text exposition format (version 0.0.4): HELP and TYPE once per metric, then its samples.</summary>
public static class Exposition
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static string Write(IEnumerable<MetricSample> samples)
    {
        var text = new StringBuilder();
        foreach (var family in samples.GroupBy(s => s.Name))
        {
            var first = family.First();
            text.Append("# HELP ").Append(family.Key).Append(' ').Append(first.Help.Replace("\\", "\\\\",
                StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('\n');
            text.Append("# TYPE ").Append(family.Key).Append(' ').Append(first.Type == MetricType.Counter ? "counter"
                : "gauge").Append('\n');
            foreach (var sample in family) text.Append(sample).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>Writes the exposition for node_exporter's textfile collector: to a temporary file beside it, then renamed, so a scrape
    /// never reads half.</summary>
    public static void WriteTextfile(string path, string exposition) => AtomicFile.Write(path, exposition);

    internal static string LabelText(IReadOnlyDictionary<string, string> labels) => labels.Count == 0 ? ""
        : "{" + string.Join(",", labels.Select(l => $"{l.Key}=\"{LabelValue(l.Value)}\"")) + "}";

    /// <summary>A label value as the exposition format escapes it: backslash, double quote and line feed.</summary>
    private static string LabelValue(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    internal static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };
}
