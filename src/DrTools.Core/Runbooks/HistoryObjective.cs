using DrTools.Core.Probes;

namespace DrTools.Core.Runbooks;

/// <summary>
/// An objective the journal's drill step held a figure to, and that figure as the history decides it: met or not on the
/// history's number, as the drill decided on its own (<see cref="Measurement.Met"/>). <see cref="History"/> is null for a
/// figure the history does not hold (recovery, HTTP, alerts): the journal's result is shown, not re-checked.
/// </summary>
public sealed record HistoryObjective(string Drill, Measurement Journal, Measurement? History)
{
    public string Figure => Journal.Name;
    public double Target => Journal.Target!.Value;
    /// <summary>Met on the history's figure; null when the history does not hold the figure.</summary>
    public bool? Met => History?.Met;
    /// <summary>Part of this verdict: recomputed from the history, and an objective the drill's verdict takes.</summary>
    public bool Decides => History is not null && ProbeHistoryChecker.Decides(Figure);
}
