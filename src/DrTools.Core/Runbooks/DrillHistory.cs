namespace DrTools.Core.Runbooks;

/// <summary>
/// The drill history: a folder with one sub-folder per run (journal.json and its reports). Default
/// DRTOOLS_HISTORY, else $XDG_DATA_HOME/drtools/history, else ~/.local/share/drtools/history.
/// </summary>
public static class DrillHistory
{
    public static string DefaultRoot =>
        Environment.GetEnvironmentVariable("DRTOOLS_HISTORY") is { Length: > 0 } configured ? configured
        : Path.Combine(Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } data ? data
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share"), "drtools", "history");

    public static string Root(string? configured) => Path.GetFullPath(configured ?? DefaultRoot);

    /// <summary>Every run recorded, oldest first; folders without a readable journal are skipped.</summary>
    public static IReadOnlyList<RunJournal> Runs(string? root = null)
    {
        var folder = Root(root);
        if (!Directory.Exists(folder)) return [];
        var runs = new List<RunJournal>();
        foreach (var file in Directory.EnumerateFiles(folder, RunJournal.FileName, SearchOption.AllDirectories))
        {
            try
            {
                runs.Add(RunJournal.Load(file).AsFound());
            }
            catch (DrToolsException)
            {
                // A run that crashed while its journal was replaced leaves journal.json.tmp, never a broken journal.json;
                // anything else unreadable is not ours to judge here.
            }
        }
        return runs.OrderBy(r => r.StartedAt).ToList();
    }

    /// <summary>Per drill: runs, pass count, average duration, the last result and the mean time to recover.</summary>
    public static IReadOnlyList<DrillHistoryEntry> Summarize(IReadOnlyList<RunJournal> runs) =>
        runs.Where(r => r.Status != RunStatus.Running)
            .GroupBy(r => (r.Runbook, r.TargetSummary))
            .Select(group =>
            {
                var ordered = group.OrderBy(r => r.StartedAt).ToList();
                var recoveries = ordered.Select(r => r.Objectives.FirstOrDefault(o => o.Name == "rto")?.Measurement?.Measured)
                    .OfType<double>().ToList();
                var last = ordered[^1];
                return new DrillHistoryEntry
                {
                    Drill = group.Key.Runbook,
                    Target = group.Key.TargetSummary,
                    Runs = ordered.Count,
                    Passed = ordered.Count(r => r.Passed),
                    AverageDurationSeconds = ordered.Average(r => r.Duration?.TotalSeconds ?? 0),
                    LastResult = last.Status,
                    LastRunAt = last.StartedAt,
                    MeanTimeToRecoverSeconds = recoveries.Count > 0 ? recoveries.Average() : null,
                    RecoveriesMeasured = recoveries.Count,
                    LastJournal = Path.Combine(last.Folder ?? "", RunJournal.FileName),
                };
            })
            .OrderBy(e => e.Drill, StringComparer.Ordinal)
            .ToList();
}
