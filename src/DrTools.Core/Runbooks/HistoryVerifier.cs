using DrTools.Core.Probes;

namespace DrTools.Core.Runbooks;

/// <summary>A figure a run's journal reports that its history.jsonl does not reproduce.</summary>
public sealed record FigureDisagreement(string Drill, string Figure, double? Journal, double? History)
{
    public override string ToString() =>
        $"drill {Drill}: {Figure}: journal {Text(Journal)}, history {Text(History)}";

    private static string Text(double? value) => value is { } figure ? Measurement.Format(figure) : "none";
}

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

/// <summary>Re-runs the history checker on a run's stored history.jsonl and compares its figures with the journal's.</summary>
public static class HistoryVerifier
{
    /// <param name="path">A run's folder in the drill history, or a history.jsonl.</param>
    public static HistoryVerification Verify(string path)
    {
        var file = Path.GetFullPath(Directory.Exists(path) ? Path.Combine(path, ProbeHistory.FileName) : path);
        if (!File.Exists(file)) throw new DrToolsException($"{file}: no such history file.", DrErrorKind.InvalidArgument);
        HistoryChecks checks;
        try
        {
            checks = ProbeHistoryChecker.CheckAll(ProbeHistory.Load(file));
        }
        catch (DrToolsException e) when (!e.Message.StartsWith(file, StringComparison.Ordinal))
        {
            // A drill without its fault or final read: every line parsed, the history as a whole is incomplete.
            throw new DrToolsException($"{file}: {e.Message}", DrErrorKind.InvalidArgument, e);
        }
        var journalFile = Path.Combine(Path.GetDirectoryName(file)!, RunJournal.FileName);
        if (!File.Exists(journalFile)) return new HistoryVerification(file, null, checks.Checked, checks.Undecided, [], 0, []);
        var journal = RunJournal.Load(journalFile);
        var disagreements = new List<FigureDisagreement>();
        var objectives = new List<HistoryObjective>();
        var journalFailures = new List<string>();
        var compared = 0;
        foreach (var drill in checks.Checked)
        {
            var steps = journal.Steps.Where(s => s.Drill == drill.Drill).ToList();
            if (steps.Count != 1)
            {
                disagreements.Add(new FigureDisagreement(drill.Drill, $"journal steps naming the drill: {steps.Count}, not 1", null, null));
                continue;
            }
            if (!steps[0].Succeeded) journalFailures.Add($"drill {drill.Drill}: {steps[0]}");
            var reported = steps[0].Measurements.Where(m => Decided(m.Name)).ToList();
            foreach (var name in reported.Select(m => m.Name).Union(drill.Figures.Select(f => f.Name)))
            {
                var inJournal = reported.FirstOrDefault(m => m.Name == name)?.Measured;
                var inHistory = drill.Figures.FirstOrDefault(f => f.Name == name)?.Measured;
                compared++;
                if (inJournal is null || inHistory is null || !Same(inJournal.Value, inHistory.Value))
                {
                    disagreements.Add(new FigureDisagreement(drill.Drill, name, inJournal, inHistory));
                }
            }
            // Each objective the drill held a figure to, held to the history's figure the same way.
            objectives.AddRange(steps[0].Measurements.Where(m => m.Target is not null).Select(m => new HistoryObjective(drill.Drill, m,
                Decided(m.Name) && drill.Figures.FirstOrDefault(f => f.Name == m.Name) is { } figure
                    ? figure with { Target = m.Target }
                    : null)));
        }
        return new HistoryVerification(file, journalFile, checks.Checked, checks.Undecided, disagreements, compared, objectives)
        {
            JournalFailures = journalFailures,
        };
    }

    /// <summary>The figures a history decides, by name: the journal's others (recovery, HTTP, alerts) come from elsewhere.</summary>
    private static bool Decided(string name) =>
        name is ProbeHistoryChecker.WriteUnavailability or ProbeHistoryChecker.ReadReconnection or ProbeHistoryChecker.LostWrites
            or ProbeHistoryChecker.DataLossWindow or ProbeHistoryChecker.SplitBrainWrites or ProbeHistoryChecker.StaleReads
            or ProbeHistoryChecker.WriteLongestGap or ProbeHistoryChecker.WriteErrorRate
        || name.StartsWith("write latency p", StringComparison.Ordinal) || name.StartsWith("read latency p", StringComparison.Ordinal);

    /// <summary>Equal as the journal stores them: the same computation, through JSON's round-trip of a double.</summary>
    private static bool Same(double a, double b) => Math.Abs(a - b) <= 1e-9 * Math.Max(1, Math.Abs(a));
}
