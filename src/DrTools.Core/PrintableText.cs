using System.Text;

namespace DrTools.Core;

/// <summary>
/// Text from outside (step names, server errors, file names) as a terminal or an XML file can hold it: control
/// characters (ESC, BEL, CR, C1 …) and the Unicode line and paragraph separators become visible \xNN escapes, so that
/// they neither drive the terminal (clear the screen, retitle it), start a line a reader of the file would see, nor make
/// an XML 1.0 document invalid; a lone surrogate or a non-character becomes U+FFFD.
/// </summary>
public static class PrintableText
{
    /// <summary>A line as every console surface (drtools, cmdlet messages) shows it: passwords masked, controls escaped.</summary>
    public static string ForConsole(string text) => Escape(Secrets.Redaction.Text(text));

    public static string Escape(string text)
    {
        if (string.IsNullOrEmpty(text) || !text.Any(NeedsEscape)) return text;
        var escaped = new StringBuilder(text.Length + 8);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                escaped.Append(c).Append(text[++i]);
            }
            else if (char.IsSurrogate(c) || c is '\uFFFE' or '\uFFFF') escaped.Append('\uFFFD');
            else if (!NeedsEscape(c)) escaped.Append(c);
            else escaped.Append($"\\x{(int)c:X2}");
        }
        return escaped.ToString();
    }

    /// <summary>
    /// Why <paramref name="name"/> cannot name a run or a step, or null: a name is shown on one console line, where a line
    /// break would print a line of its own (a forged "PASS: …"). Other control characters are shown escaped.
    /// </summary>
    public static string? NameProblem(string name) => name.IndexOfAny(LineBreaks) >= 0
        ? $"'{OneLine(name)}' holds a line break; a name is one line."
        : null;

    /// <summary>
    /// <see cref="Escape"/>, line breaks included: a name from a server (a table's) printed inside a line of its own
    /// making, where a line feed would start a line it did not make ("PASS: …").
    /// </summary>
    public static string OneLine(string text)
    {
        var escaped = Escape(text);
        return escaped.IndexOfAny(LineBreaks) < 0 ? escaped
            : string.Concat(escaped.Select(c => LineBreaks.Contains(c) ? $"\\x{(int)c:X2}" : c.ToString()));
    }

    /// <summary>What a console, an editor or a report may start a new line at.</summary>
    private static readonly char[] LineBreaks = ['\n', '\r', '\v', '\f', '\u0085', '\u2028', '\u2029'];

    private static bool NeedsEscape(char c) =>
        (char.IsControl(c) && c is not ('\n' or '\t')) || char.IsSurrogate(c) || c is '\uFFFE' or '\uFFFF' or '\u2028' or '\u2029';
}
