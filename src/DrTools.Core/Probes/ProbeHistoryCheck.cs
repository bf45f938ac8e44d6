namespace DrTools.Core.Probes;

/// <summary>
/// What the checker found in one drill's history, as Jepsen's set-full checker reports it: acknowledged writes absent at
/// the end (lost), stale reads, acknowledged writes no probe read saw (never read), sequences seen twice, writes another
/// member acknowledged once the final primary was one (split brain; null when the history does not say since when it
/// was), and indeterminate writes apart. <see cref="Figures"/> are the drill's figures, computed from the history alone.
/// </summary>
public sealed record ProbeHistoryCheck(
    string Drill, Outage WriteOutage, Outage ReadOutage, WriteLoss Loss, SplitBrainWrites? SplitBrain,
    IReadOnlyList<StaleRead> StaleReads, IReadOnlyList<long> NeverRead, IReadOnlyList<long> Duplicated,
    IReadOnlyList<long> Indeterminate, IReadOnlyList<long> IndeterminatePresent, IReadOnlyList<long> FailedPresent,
    string FinalNode, IReadOnlyList<Measurement> Measured, IReadOnlyList<Measurement> Latency)
{
    /// <summary>Every figure the history decides: the outages, the losses, split brain, stale reads and latency.</summary>
    public IReadOnlyList<Measurement> Figures => [.. Measured, .. Latency];

    /// <summary>
    /// Valid as Jepsen's set-full checker judges a history: no acknowledged write lost, and no other member acknowledged one
    /// once the final primary was one. A drill's verdict is its objectives' (<see cref="ProbeHistoryChecker.Decides"/>).
    /// </summary>
    public bool Valid => Loss.LostSequences.Count == 0 && (SplitBrain?.Count ?? 0) == 0;

    public Measurement Figure(string name) => Figures.First(f => f.Name == name);
}
