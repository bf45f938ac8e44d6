namespace DrTools.Core.Integrity;

/// <summary>
/// Compares two table definitions given as lines "what: how" (MariaDB's "column `note`: text null default NULL"): each
/// line is matched by what it names, so a difference reads as that column or index changed, added or dropped.
/// </summary>
public static class TableDefinitions
{
    /// <summary>What differs, as "column `note`: text null … → varchar(40) null …; index `tag`: dropped", or null.</summary>
    public static string? Differences(string reference, string now)
    {
        var before = Lines(reference);
        var after = Lines(now);
        var differences = new List<string>();
        foreach (var (what, how) in before)
        {
            if (!after.TryGetValue(what, out var found)) differences.Add($"{what}: dropped");
            else if (found != how) differences.Add($"{what}: {how} → {found}");
        }
        differences.AddRange(after.Keys.Where(k => !before.ContainsKey(k)).Select(k => $"{k}: added ({after[k]})"));
        return differences.Count == 0 ? null : string.Join("; ", differences);
    }

    private static Dictionary<string, string> Lines(string definition) => definition.Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Select(l => l.Split(": ", 2)).GroupBy(p => p[0], StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.First().ElementAtOrDefault(1) ?? "", StringComparer.Ordinal);
}
