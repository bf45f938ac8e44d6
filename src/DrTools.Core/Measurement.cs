namespace DrTools.Core;

/// <summary>
/// One measured figure: what was measured, its value, the target it is held against and how it was obtained.
/// Lower is better for most figures DrTools measures (lag, unavailability, lost writes): Met means Measured ≤ Target; a
/// floor (<see cref="AtLeast"/>: the fewest ready replicas) is met when Measured ≥ Target.
/// </summary>
public sealed record Measurement(string Name, double Measured, string Unit, double? Target, string Method)
{
    /// <summary>
    /// Whether the target was met; null when no target was set. A figure that is only a lower bound (<see cref="MoreThan"/>)
    /// never is: what it was is unknown past the bound, and a bound under the target proves nothing.
    /// </summary>
    public bool? Met => Target is { } target ? !MoreThan && (AtLeast ? Measured >= target : Measured <= target) : null;

    /// <summary>Whether the target is a floor the figure must reach (≥), not a ceiling it must stay under (≤).</summary>
    public bool AtLeast { get; init; }

    /// <summary>95th percentile when the figure was sampled over a window (Measured is then the maximum).</summary>
    public double? P95 { get; init; }

    /// <summary>How many samples the figure was taken from.</summary>
    public int Samples { get; init; } = 1;

    /// <summary>
    /// The wait for the figure gave up: the true value is more than <see cref="Measured"/> (a replica that had not caught up
    /// when DrTools stopped timing it at the bound).
    /// </summary>
    public bool MoreThan { get; init; }

    /// <summary>The figure with its unit (a sampled one: its maximum), short enough for a table column: 1.18 MB.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string MeasuredText => (MoreThan ? "more than " : "") + FigureText.Of(Measured, Unit);

    /// <summary>As <see cref="MeasuredText"/>, with the exact count a size rounds: 1.18 MB (1234567 bytes).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string ExactText => (MoreThan ? "more than " : "") + FigureText.Exact(Measured, Unit);

    /// <summary>The 95th percentile of a sampled figure with its unit; "-" for one sample.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string P95Text => Samples > 1 ? FigureText.Of(P95 ?? Measured, Unit) : "-";

    /// <summary>How a sampled figure was taken, as the reports write it: "max of 20 samples, p95 10 kB"; empty for one sample.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string SamplesText => Samples > 1 ? $"max of {Samples} samples, p95 {P95Text}" : "";

    /// <summary>The target in the figure's unit (≤ 30 s), or "-" when none was set.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string TargetText => Target is { } target ? FigureText.Target(target, Unit, AtLeast) : "-";

    public override string ToString() => Target is null ? ExactText : $"{ExactText} ({TargetText}: {(Met == true ? "met" : "NOT met")})";

    /// <summary>ToString and, for a sampled figure, how it was sampled on a line of its own: what a list view shows.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string FullText => Samples > 1 ? $"{this}\n{SamplesText}" : ToString();

    /// <summary>A figure as reports write it: whole numbers bare, others to three decimals.</summary>
    public static string Format(double value) => FigureText.Number(value);

    /// <summary>A moment on the drill's clock as reports print it: seconds to the millisecond ("19.2").</summary>
    public static string Seconds(TimeSpan at) => Format(Math.Round(at.TotalSeconds, 3));

    /// <summary>Nearest-rank percentile of samples (p in 0..100).</summary>
    public static double Percentile(IReadOnlyList<double> samples, double p)
    {
        if (samples.Count == 0) throw new ArgumentException("no samples", nameof(samples));
        var sorted = samples.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
