using System.Globalization;
using System.Text.RegularExpressions;

namespace DrTools.Core;

/// <summary>Durations as people write them in runbooks and on command lines: 250ms, 30s, 5m, 1h, 1.5s, 00:00:30; a bare number is
/// seconds.</summary>
public static partial class DurationText
{
    /// <summary>The longest wait or timeout: timers and Npgsql take milliseconds as a 32-bit number (24.8 days).</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromDays(24);
    /// <summary>The longest age or objective (a backup's age, say).</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(MaxAgeSeconds);
    public const double MaxAgeSeconds = 366 * 86400;
    public const string Forms = "250ms, 30s, 5m, 1h, 00:00:30, or a number of seconds";

    [GeneratedRegex(@"^\s*(?<n>\d{1,15}(\.\d{1,9})?)\s*(?<unit>ms|s|m|h)?\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();

    /// <summary>Parses a duration from zero (or, <paramref name="positive"/>, more than zero) to <paramref name="max"/> (default <see
    /// cref="MaxWait"/>); the error names <paramref name="what"/>.</summary>
    public static TimeSpan Parse(string text, string what, TimeSpan? max = null, bool positive = false)
    {
        var match = Pattern().Match(text ?? "");
        TimeSpan span;
        if (match.Success)
        {
            var n = double.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture);
            var seconds = match.Groups["unit"].Value.ToLowerInvariant() switch
            {
                "ms" => n / 1000,
                "m" => n * 60,
                "h" => n * 3600,
                _ => n,
            };
            if (seconds > MaxAge.TotalSeconds) throw OutOfRange(what, text!.Trim(), max, positive);
            span = TimeSpan.FromSeconds(seconds);
        }
        else if (!TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out span))
        {
            throw new DrToolsException($"{what}: '{text}' is not a duration; write {Forms}.", DrErrorKind.InvalidArgument);
        }
        return Check(span, what, max, positive);
    }

    /// <summary>Range-checks a duration given as a TimeSpan or a number of seconds.</summary>
    public static TimeSpan Check(TimeSpan span, string what, TimeSpan? max = null, bool positive = false)
    {
        var highest = max ?? MaxWait;
        return span < TimeSpan.Zero || (positive && span == TimeSpan.Zero) || span > highest ? throw OutOfRange(what, Format(span), max,
            positive) : span;
    }

    private static DrToolsException OutOfRange(string what, string value, TimeSpan? max, bool positive) =>
        new($"{what}: {value} is out of range; give {(positive ? "more than 0 and at most" : "0 to")} {Describe(max ?? MaxWait)}.",
            DrErrorKind.InvalidArgument);

    /// <summary>From seconds (double), refusing NaN, infinities and values no TimeSpan holds.</summary>
    public static TimeSpan FromSeconds(double seconds, string what, TimeSpan? max = null, bool positive = false) =>
        double.IsFinite(seconds) && Math.Abs(seconds) <= MaxAge.TotalSeconds * 2
            ? Check(TimeSpan.FromSeconds(seconds), what, max, positive)
            : throw new DrToolsException($"{what}: {seconds.ToString(CultureInfo.InvariantCulture)} seconds is out of range; give at most "
                + $"{Describe(max ?? MaxWait)}.", DrErrorKind.InvalidArgument);

    public static string Format(TimeSpan span) => Math.Abs(span.TotalMilliseconds) < 1000
        ? $"{span.TotalMilliseconds.ToString("0.#", CultureInfo.InvariantCulture)}ms"
        : $"{span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}s";

    private static string Describe(TimeSpan span) => span.TotalHours >= 24 ? $"{span.TotalHours:0}h ({span.TotalDays:0} days)"
        : Format(span);
}
