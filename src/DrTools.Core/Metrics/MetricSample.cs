using System.Globalization;
using System.Text;

namespace DrTools.Core.Metrics;

/// <summary>One value of a metric, with its labels: what Get-DrMetric returns and the exposition is written from.</summary>
public sealed record MetricSample(string Name, MetricType Type, string Help, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public override string ToString() => $"{Name}{Exposition.LabelText(Labels)} {Exposition.Number(Value)}";
}
