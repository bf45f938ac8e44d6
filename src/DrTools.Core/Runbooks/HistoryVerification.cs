using DrTools.Core.Probes;

namespace DrTools.Core.Runbooks;

/// <summary>The checker's result on a stored history, and how the journal beside it compares.</summary>
public sealed record HistoryVerification(string HistoryFile, string? JournalFile, IReadOnlyList<ProbeHistoryCheck> Drills,
    IReadOnlyList<UndecidedDrill> NotDecided, IReadOnlyList<FigureDisagreement> Disagreements, int FiguresCompared,
    IReadOnlyList<HistoryObjective> Objectives)
{
    /// <summary>
    /// The journal's drill steps that did not pass, as the journal says (integrity, recovery, alerts: what the history does
    /// not hold, so not re-checked here): each one's verdict stands in this one, never a PASS over a failed drill.
    /// </summary>
    public IReadOnlyList<string> JournalFailures { get; init; } = [];

    /// <summary>What decided the verdict without a journal: the history's validity alone.</summary>
    public const string RuleWithoutJournal =
        "no journal.json beside it, so no objectives: any lost acknowledged write or split-brain write is a FAIL";

    /// <summary>
    /// The drill's verdict reproduced: with its journal, every figure agrees, every objective the drill's verdict takes is
    /// met on the history's figures, no write is split brain and the journal failed the drill on nothing the history does
    /// not hold; without one, nothing lost and nothing split brain. A drill
    /// not decided (it ended with an error before its final read) is never a PASS.
    /// </summary>
    public bool Passed => NotDecided.Count == 0 && Drills.All(d => (d.SplitBrain?.Count ?? 0) == 0) && (JournalFile is null
        ? Drills.All(d => d.Valid)
        : Disagreements.Count == 0 && JournalFailures.Count == 0 && Objectives.Where(o => o.Decides).All(o => o.Met == true));

    /// <summary>Whether the journal held the drill's lost writes to an objective: the RPO (its window, or 0 lost writes).</summary>
    public bool LossHeldToObjective(string drill) => Objectives.Any(o => o.Drill == drill && o.Decides
        && o.Figure is ProbeHistoryChecker.LostWrites or ProbeHistoryChecker.DataLossWindow);
}
