using System.Text.RegularExpressions;

namespace DrTools.Core.Postgres;

/// <summary>libpq key=value connection strings, as primary_conninfo holds them.</summary>
public static partial class ConnInfo
{
    [GeneratedRegex(@"(\w+)\s*=\s*('(?:[^'\\]|\\.|'')*'|\S+)")]
    private static partial Regex Pair();

    private static IEnumerable<(string Key, string Value)> Pairs(string conninfo) =>
        Pair().Matches(conninfo).Select(m => (m.Groups[1].Value, m.Groups[2].Value));

    /// <summary>One keyword's value, unquoted; null when absent or empty.</summary>
    public static string? Get(string conninfo, string key) =>
        Pairs(conninfo).LastOrDefault(p => p.Key == key).Value is { Length: > 0 } value
            ? value.StartsWith('\'') ? value[1..^1].Replace("''", "'").Replace("\\'", "'") : value
            : null;

    /// <summary>Sets one keyword (values with spaces or quotes kept quoted as given).</summary>
    public static string Set(string conninfo, string key, string value) =>
        string.Join(" ", Pairs(conninfo).Where(p => p.Key != key).Append((Key: key, Value: value)).Select(p => $"{p.Key}={p.Value}"));

    /// <summary>A member name as a slot or application name: lower-case letters, digits and _.</summary>
    public static string SafeName(string name) => new([.. name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_')]);
}
