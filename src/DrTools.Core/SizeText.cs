using System.Globalization;
using System.Text.RegularExpressions;

namespace DrTools.Core;

/// <summary>Sizes as PostgreSQL writes them: 500000, 64kB, 256MB, 1GB (1024-based; the case of the unit does not matter).</summary>
public static partial class SizeText
{
    public const string Forms = "a number of bytes, or one with kB, MB or GB, e.g. 64kB or 256MB";

    [GeneratedRegex(@"^\s*(?<n>\d{1,12})\s*(?<unit>b|kb|mb|gb)?\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();

    /// <summary>Parses a size from <paramref name="min"/> to <paramref name="max"/> bytes; the error names <paramref
    /// name="what"/>.</summary>
    public static long Parse(string text, string what, long min, long max)
    {
        var match = Pattern().Match(text ?? "");
        if (!match.Success) throw new DrToolsException($"{what}: '{text}' is not a size; write {Forms}.", DrErrorKind.InvalidArgument);
        var bytes = long.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture) * match.Groups["unit"].Value.ToLowerInvariant() switch
        {
            "kb" => 1L << 10,
            "mb" => 1L << 20,
            "gb" => 1L << 30,
            _ => 1L,
        };
        return bytes >= min && bytes <= max ? bytes
            : throw new DrToolsException($"{what}: '{match.Value.Trim()}' is out of range; from {Format(min)} to {Format(max)}.",
            DrErrorKind.InvalidArgument);
    }

    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 when bytes % (1L << 30) == 0 => $"{bytes >> 30}GB",
        >= 1L << 20 when bytes % (1L << 20) == 0 => $"{bytes >> 20}MB",
        >= 1L << 10 when bytes % (1L << 10) == 0 => $"{bytes >> 10}kB",
        _ => $"{bytes} bytes",
    };
}
