using System.Text.RegularExpressions;

namespace DrTools.Core.Cluster;

/// <summary>
/// A primary's synchronous_standby_names: [FIRST|ANY] N (name, ...), a bare list (FIRST 1), or '*'. Empty means
/// asynchronous. Names are application names: what each standby's WAL receiver connects as.
/// </summary>
public static partial class SyncStandbyNames
{
    [GeneratedRegex(@"^\s*(?:(?:FIRST|ANY)\s+)?(?<n>\d+)\s*\(", RegexOptions.IgnoreCase)]
    private static partial Regex Counted();

    /// <summary>How many standbys must confirm each commit: 0 when replication is asynchronous.</summary>
    public static int RequiredCount(string? setting) =>
        string.IsNullOrWhiteSpace(setting) ? 0 : Counted().Match(setting) is { Success: true } match ? int.Parse(match.Groups["n"].Value)
            : 1;

    /// <summary>Whether a standby connecting as <paramref name="applicationName"/> can be one of those that confirm commits.</summary>
    public static bool Names(string setting, string applicationName) =>
        Regex.IsMatch(setting, @"(^|[\s(,])\*($|[\s),])") || Regex.IsMatch(setting, NamePattern(applicationName), RegexOptions.IgnoreCase);

    /// <summary>
    /// The setting with one standby's name replaced by another's (after a failover the new primary's own name must give
    /// way to the old primary's, which now streams from it), matching whole names, quoted or not, case-insensitively as PostgreSQL does.
    /// </summary>
    public static string ReplaceName(string setting, string name, string replacement) =>
        Regex.Replace(setting, NamePattern(name), _ => Quote(replacement), RegexOptions.IgnoreCase);

    /// <summary>One whole name of the list, quoted or not.</summary>
    private static string NamePattern(string name) => $@"(?<=^|[\s(,])(""{Regex.Escape(name)}""|{Regex.Escape(name)})(?=$|[\s),])";

    private static string Quote(string name) => Regex.IsMatch(name, @"^[A-Za-z_][A-Za-z0-9_$]*$") ? name
        : $"\"{name.Replace("\"", "\"\"")}\"";
}
