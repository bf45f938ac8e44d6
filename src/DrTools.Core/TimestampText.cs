using System.Globalization;
using System.Text.RegularExpressions;

namespace DrTools.Core;

/// <summary>
/// Points in time as users write them for recovery targets. The zone is required: a time without one would be read in
/// some zone the user did not mean, and a restore would stop at the wrong point.
/// </summary>
public static partial class TimestampText
{
    public const string Forms = "2026-11-22 08:05:12+00, 2026-11-22T08:05:12.5+01:00, 2026-11-22 08:05:12Z";

    [GeneratedRegex(@"^\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?\s*(?<zone>Z|[+-]\d{2}(:?\d{2})?)\s*$",
        RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();

    public static DateTimeOffset Parse(string text, string what)
    {
        var match = Pattern().Match(text ?? "");
        if (!match.Success)
        {
            var missingZone = DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out _);
            throw new DrToolsException(missingZone
                ? $"{what}: '{text}' has no time zone; add one, e.g. {Forms}."
                : $"{what}: '{text}' is not a timestamp; write one with its time zone, e.g. {Forms}.", DrErrorKind.InvalidArgument);
        }
        // "+01" alone is not a form .NET reads: complete it to "+01:00".
        var normalized = Regex.Replace(text!.Trim(), @"([+-]\d{2})$", "$1:00");
        return DateTimeOffset.TryParse(normalized, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
            ? time
            : throw new DrToolsException($"{what}: '{text}' is not a valid time (check the date and the hour).",
                DrErrorKind.InvalidArgument);
    }
}
