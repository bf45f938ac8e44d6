using System.Globalization;

namespace DrTools.Core;

/// <summary>
/// One measured figure: what was measured, its value, the target it is held against and how it was obtained.
/// Lower is better for every figure DrTools measures (lag, unavailability, lost writes), so Met means Measured ≤ Target.
/// </summary>
public sealed record Measurement(string Name, double Measured, string Unit, double? Target, string Method)
{
    /// <summary>Whether the target was met; null when no target was set.</summary>
    public bool? Met => Target is { } target ? Measured <= target : null;

    /// <summary>95th percentile when the figure was sampled over a window (Measured is then the maximum).</summary>
    public double? P95 { get; init; }

    /// <summary>How many samples the figure was taken from.</summary>
    public int Samples { get; init; } = 1;

    public override string ToString()
    {
        var text = $"{Format(Measured)} {Unit}";
        return Target is { } target ? $"{text} (≤ {Format(target)}: {(Met == true ? "met" : "NOT met")})" : text;
    }

    /// <summary>A figure as reports write it: whole numbers bare, others to three decimals.</summary>
    public static string Format(double value) => value.ToString(value == Math.Floor(value) ? "0" : "0.###", CultureInfo.InvariantCulture);

    /// <summary>Nearest-rank percentile of samples (p in 0..100).</summary>
    public static double Percentile(IReadOnlyList<double> samples, double p)
    {
        if (samples.Count == 0) throw new ArgumentException("no samples", nameof(samples));
        var sorted = samples.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
