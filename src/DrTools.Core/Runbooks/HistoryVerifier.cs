using DrTools.Core.Probes;

namespace DrTools.Core.Runbooks;

/// <summary>A figure a run's journal reports that its history.jsonl does not reproduce.</summary>
public sealed record FigureDisagreement(string Drill, string Figure, double? Journal, double? History)
{
    public override string ToString() =>
        $"drill {Drill}: {Figure}: journal {Text(Journal)}, history {Text(History)}";

    private static string Text(double? value) => value is { } figure ? Measurement.Format(figure) : "none";
}

/// <summary>The checker's result on a stored history, and how the journal beside it compares.</summary>
public sealed record HistoryVerification(string HistoryFile, string? JournalFile, IReadOnlyList<ProbeHistoryCheck> Drills,
    IReadOnlyList<FigureDisagreement> Disagreements, int FiguresCompared)
{
    /// <summary>No acknowledged write lost, none split brain, and every journal figure reproduced.</summary>
    public bool Passed => Drills.All(d => d.Passed) && Disagreements.Count == 0;
}

/// <summary>Re-runs the history checker on a run's stored history.jsonl and compares its figures with the journal's.</summary>
public static class HistoryVerifier
{
    /// <param name="path">A run's folder in the drill history, or a history.jsonl.</param>
    public static HistoryVerification Verify(string path)
    {
        var file = Path.GetFullPath(Directory.Exists(path) ? Path.Combine(path, ProbeHistory.FileName) : path);
        if (!File.Exists(file)) throw new DrToolsException($"{file}: no such history file.", DrErrorKind.InvalidArgument);
        IReadOnlyList<ProbeHistoryCheck> drills;
        try
        {
            drills = ProbeHistoryChecker.CheckAll(ProbeHistory.Load(file));
        }
        catch (DrToolsException e) when (!e.Message.StartsWith(file, StringComparison.Ordinal))
        {
            // A drill without its fault or final read: every line parsed, the history as a whole is incomplete.
            throw new DrToolsException($"{file}: {e.Message}", DrErrorKind.InvalidArgument, e);
        }
        var journalFile = Path.Combine(Path.GetDirectoryName(file)!, "journal.json");
        if (!File.Exists(journalFile)) return new HistoryVerification(file, null, drills, [], 0);
        var journal = RunJournal.Load(journalFile);
        var disagreements = new List<FigureDisagreement>();
        var compared = 0;
        foreach (var drill in drills)
        {
            var steps = journal.Steps.Where(s => s.Drill == drill.Drill).ToList();
            if (steps.Count != 1)
            {
                disagreements.Add(new FigureDisagreement(drill.Drill, $"journal steps naming the drill: {steps.Count}, not 1", null, null));
                continue;
            }
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
        }
        return new HistoryVerification(file, journalFile, drills, disagreements, compared);
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
