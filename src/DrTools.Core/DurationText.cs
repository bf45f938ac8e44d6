using System.Globalization;
using System.Text.RegularExpressions;

namespace DrTools.Core;

/// <summary>Durations as people write them in runbooks and on command lines: 250ms, 30s, 5m, 1h, 1.5s; a bare number is seconds.</summary>
public static partial class DurationText
{
    [GeneratedRegex(@"^\s*(?<n>\d+(\.\d+)?)\s*(?<unit>ms|s|m|h)?\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();

    public static TimeSpan Parse(string text, string what)
    {
        var match = Pattern().Match(text ?? "");
        if (!match.Success)
        {
            if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero) return span;
            throw new DrToolsException($"{what}: '{text}' is not a duration; write a number with a unit: ms, s, m or h (for example 30s).", DrErrorKind.InvalidArgument);
        }
        var n = double.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture);
        return match.Groups["unit"].Value.ToLowerInvariant() switch
        {
            "ms" => TimeSpan.FromMilliseconds(n),
            "m" => TimeSpan.FromMinutes(n),
            "h" => TimeSpan.FromHours(n),
            _ => TimeSpan.FromSeconds(n),
        };
    }

    public static string Format(TimeSpan span) => span.TotalMilliseconds < 1000
        ? $"{span.TotalMilliseconds.ToString("0.#", CultureInfo.InvariantCulture)}ms"
        : $"{span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}s";
}
