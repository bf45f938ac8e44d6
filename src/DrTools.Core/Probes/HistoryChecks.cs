namespace DrTools.Core.Probes;

/// <summary>Each drill of a history: checked, or not decided (it ended with an error before its final read).</summary>
public sealed record HistoryChecks(IReadOnlyList<ProbeHistoryCheck> Checked, IReadOnlyList<UndecidedDrill> Undecided);
