using System.Text;
using System.Text.RegularExpressions;

namespace DrTools.Core.Secrets;

/// <summary>
/// Keeps passwords out of everything DrTools shows or stores (console, errors, journal, reports, history). Connection
/// strings and URLs are read by their syntax and the values of their password keywords replaced; text is never
/// searched for a known password, which would mangle ordinary words that contain a short one.
/// </summary>
public static partial class Redaction
{
    public const string Mask = "***";

    /// <summary>The keywords whose values are secrets, in every engine's syntax (Npgsql, MySqlConnector, Redis, URL queries).</summary>
    private static readonly HashSet<string> SecretKeywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "password", "pwd", "passwd", "pass", "requirepass", "masterauth",
        "sslpassword", "ssl password", "ssl key password", "sslkeypassword",
    };

    // [scheme://]user:PASSWORD@host, malformed schemes too (redis//…): the password lies between the first ':' of the
    // user info and its last '@'.
    // A '[' before the user name is the help's notation for an optional part (redis://[default:PASSWORD@]HOST), no URL.
    [GeneratedRegex(@"(?<head>(?://|^|(?<=[\s'""(]))[^\s/?#@:'""\[]*:)(?<secret>[^\s/?#]*)@")]
    private static partial Regex UrlUserInfo();

    // KEY=VALUE where KEY is a secret keyword: at the start, after ';', '?', '&', whitespace, a quote or a bracket.
    [GeneratedRegex(@"(?<head>(?:^|(?<=[;?&\s'""(\[{,]))"
        + @"(?<key>ssl ?key password|ssl ?password|password|passwd|pwd|requirepass|masterauth)\s*=\s*)"
        + @"(?<secret>'(?:[^']|'')*'|""(?:[^""]|"""")*""|[^;&\s'""]*)", RegexOptions.IgnoreCase)]
    private static partial Regex KeywordValue();

    /// <summary>
    /// A connection string or URL as it may be shown: Npgsql and MySqlConnector keyword strings (quoted values
    /// included) and redis://, postgres:// URLs (user info and ?password=), each password replaced by <see cref="Mask"/>.
    /// </summary>
    public static string ConnectionString(string text)
    {
        if (text.Contains("://", StringComparison.Ordinal)) return Text(text);
        return KeywordPairs(text) is { } pairs ? MaskValues(text, pairs) : Text(text);
    }

    /// <summary>Free text (an error message, a step's detail) with every embedded URL password and password keyword value masked.</summary>
    public static string Text(string text)
    {
        if (string.IsNullOrEmpty(text)) return text;
        var masked = UrlUserInfo().Replace(text, m => m.Groups["secret"].Length == 0 ? m.Value : $"{m.Groups["head"].Value}{Mask}@");
        // A value already masked, or the help's placeholder "Password=…", is left as it is.
        return KeywordValue().Replace(masked, m =>
            m.Groups["secret"].Value is var value && (value.StartsWith(Mask, StringComparison.Ordinal) || value.StartsWith('…'))
                ? m.Value
                : m.Groups["head"].Value + Mask);
    }

    /// <summary>Each KEY=VALUE of an ADO.NET connection string, with where its value lies; null when the text is not one.</summary>
    private static List<(string Key, int Start, int End)>? KeywordPairs(string text)
    {
        var pairs = new List<(string, int, int)>();
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (char.IsWhiteSpace(text[i]) || text[i] == ';')) i++;
            if (i >= text.Length) break;
            var key = new StringBuilder();
            while (i < text.Length && !(text[i] == '=' && (i + 1 >= text.Length || text[i + 1] != '=')))
            {
                if (text[i] == ';') return null;
                if (text[i] == '=') i++; // "==" is a literal '=' in a key
                key.Append(text[i++]);
            }
            if (i >= text.Length) return null;
            i++;
            while (i < text.Length && text[i] is ' ' or '\t') i++;
            var start = i;
            if (i < text.Length && text[i] is '\'' or '"')
            {
                var quote = text[i++];
                // A doubled quote is one quote inside the value.
                while (i < text.Length && !(text[i] == quote && (i + 1 >= text.Length || text[i + 1] != quote)))
                {
                    i += text[i] == quote ? 2 : 1;
                }
                if (i >= text.Length) return null;
                i++;
            }
            else
            {
                while (i < text.Length && text[i] != ';') i++;
            }
            pairs.Add((key.ToString().Trim(), start, i));
        }
        return pairs;
    }

    private static string MaskValues(string text, List<(string Key, int Start, int End)> pairs)
    {
        var masked = new StringBuilder(text);
        foreach (var (_, start, end) in pairs.Where(p => SecretKeywords.Contains(p.Key) && p.End > p.Start).OrderByDescending(p => p.Start))
        {
            masked.Remove(start, end - start).Insert(start, Mask);
        }
        return masked.ToString();
    }
}
