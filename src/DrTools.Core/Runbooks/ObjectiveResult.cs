using System.Text.Json.Serialization;

namespace DrTools.Core.Runbooks;

/// <summary>An objective with the figure that was measured for it (null when the steps that measure it did not complete).</summary>
/// <remarks>Target is in <see cref="Unit"/>; journals written before HTTP objectives kept it as a duration, read as seconds.</remarks>
public sealed record ObjectiveResult(string Name, [property: JsonConverter(typeof(ObjectiveTargetConverter))] double Target,
    Measurement? Measurement, string? NotMeasuredBecause)
{
    public string Unit { get; init; } = "s";
    public bool Met => Measurement?.Met == true;

    /// <summary>Whether the target is a floor (minReady: ≥ 2 replicas) rather than a ceiling.</summary>
    public bool AtLeast { get; init; }

    /// <summary>The target in the objective's unit: ≤ 60 s, ≥ 2 replicas.</summary>
    [JsonIgnore] public string TargetText => FigureText.Target(Target, Unit, AtLeast);

    /// <summary>The figure the objective was measured at, with its unit, or "not measured".</summary>
    [JsonIgnore] public string MeasuredText => Measurement?.ExactText ?? "not measured";

    /// <summary>Met or not with the figure and its target: "met: 0.722 s ≤ 60 s", "NOT met: 75 s, target ≤ 60 s".</summary>
    [JsonIgnore] public string Verdict => Measurement is null ? "NOT met: not measured"
        : Met ? $"met: {MeasuredText} {TargetText}" : $"NOT met: {MeasuredText}, target {TargetText}";
}
