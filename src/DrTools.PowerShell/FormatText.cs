using DrTools.Core;

namespace DrTools.PowerShell;

/// <summary>
/// A value as the module's format views show it (every table column and list item of DrTools.Format.ps1xml calls
/// [DrTools.PowerShell.FormatText]::Show): text through <see cref="PrintableText.Escape"/>, so an ESC or BEL from a name or
/// a server's error is shown as \x1B and never drives the terminal; each text of a list likewise; anything else as it is
/// (a number, time or flag is formatted as before). Here, not in DrTools.Core: Core's types load in the module's own
/// AssemblyLoadContext, which a format file's type literals cannot reach.
/// </summary>
public static class FormatText
{
    public static object? Show(object? value) => value switch
    {
        string text => PrintableText.Escape(text),
        System.Collections.IEnumerable items and not System.Collections.IDictionary when items.Cast<object?>().Any(i => i is string) =>
            items.Cast<object?>().Select(i => i is string text ? PrintableText.Escape(text) : i).ToArray(),
        _ => value,
    };
}
