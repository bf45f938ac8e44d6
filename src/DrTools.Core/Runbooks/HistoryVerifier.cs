using DrTools.Core.Probes;

namespace DrTools.Core.Runbooks;

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
