namespace DrTools.Core.Runbooks;

/// <summary>A figure a run's journal reports that its history.jsonl does not reproduce.</summary>
public sealed record FigureDisagreement(string Drill, string Figure, double? Journal, double? History)
{
    public override string ToString() =>
        $"drill {Drill}: {Figure}: journal {Text(Journal)}, history {Text(History)}";

    private static string Text(double? value) => value is { } figure ? Measurement.Format(figure) : "none";
}
