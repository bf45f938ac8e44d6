using System.Text;
using DrTools.Core;

namespace DrTools.Cli;

/// <summary>
/// Everything drtools prints passes through here, a line at a time: passwords in connection strings and URLs are
/// masked and control characters from names and server errors are shown as escapes, never sent to the terminal raw.
/// </summary>
public sealed class SafeConsoleWriter(TextWriter inner) : TextWriter
{
    private readonly StringBuilder _line = new();

    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value)
    {
        if (value == '\n') WriteLine();
        else _line.Append(value);
    }

    public override void Write(string? value)
    {
        if (value is null) return;
        var start = 0;
        for (var newline = value.IndexOf('\n'); newline >= 0; newline = value.IndexOf('\n', start))
        {
            _line.Append(value, start, newline - start);
            WriteLine();
            start = newline + 1;
        }
        _line.Append(value, start, value.Length - start);
    }

    public override void WriteLine()
    {
        inner.Write(Safe(_line.ToString()));
        inner.Write('\n');
        _line.Clear();
        inner.Flush();
    }

    public override void WriteLine(string? value)
    {
        Write(value);
        WriteLine();
    }

    public override void Flush()
    {
        if (_line.Length > 0)
        {
            inner.Write(Safe(_line.ToString()));
            _line.Clear();
        }
        inner.Flush();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Flush();
        base.Dispose(disposing);
    }

    private static string Safe(string line) => PrintableText.ForConsole(line.TrimEnd('\r'));
}
