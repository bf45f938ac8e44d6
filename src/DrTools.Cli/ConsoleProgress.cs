using System.Diagnostics;
using System.Globalization;
using System.Text;
using DrTools.Core;

namespace DrTools.Cli;

/// <summary>
/// The phases of a long operation (the ones PowerShell shows with Write-Progress), on stderr so stdout stays the
/// result: on a terminal one live status line, redrawn with a spinner and the time so far and cleared when the
/// operation ends; when stderr is redirected a plain line per phase ("  +1.2s  activity: phase (40%)"); with --json
/// nothing (see <see cref="For"/>).
/// </summary>
public sealed class ConsoleProgress : IProgress<OperationProgress>, IDisposable
{
    private static readonly string[] Spinner = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
    private readonly object _gate = new();
    private readonly string _activity;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly TextWriter? _terminal;
    private readonly Timer? _redraw;
    private OperationProgress? _current;
    private int _frame;
    private bool _ended;

    private ConsoleProgress(string activity, bool live)
    {
        _activity = PrintableText.ForConsole(activity);
        if (!live) return;
        // The status line's own control sequences go to the terminal raw; the text in it is made printable first.
        _terminal = new StreamWriter(Console.OpenStandardError(), new UTF8Encoding(false)) { AutoFlush = true };
        _redraw = new Timer(_ => Draw(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(100));
    }

    /// <summary>Progress for <paramref name="activity"/>, or null with --json (a machine reads stdout; stderr keeps only errors).</summary>
    public static ConsoleProgress? For(string activity, bool json) =>
        json ? null : new ConsoleProgress(activity, 
            live: !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") != "dumb");

    /// <summary>The plain line of one phase when stderr is not a terminal.</summary>
    public static string PlainLine(TimeSpan elapsed, string activity, OperationProgress phase) =>
        string.Create(CultureInfo.InvariantCulture,
            $"  +{elapsed.TotalSeconds:0.0}s  {activity}: {phase.Phase} ({phase.PercentComplete}%)");

    public void Report(OperationProgress value)
    {
        lock (_gate)
        {
            if (_ended || _current == value) return;
            _current = value;
            var shown = value with { Phase = PrintableText.ForConsole(value.Phase) };
            if (_terminal is null) Console.Error.WriteLine(PlainLine(_clock.Elapsed, _activity, shown));
        }
        Draw();
    }

    private void Draw()
    {
        lock (_gate)
        {
            if (_terminal is null || _ended) return;
            var phase = _current is { } current ? $"{PrintableText.ForConsole(current.Phase)} ({current.PercentComplete}%)" : "starting";
            var spinner = Spinner[_frame++ % Spinner.Length];
            var line = string.Create(CultureInfo.InvariantCulture, $"{spinner} {_activity}: {phase}  {_clock.Elapsed.TotalSeconds:0.0}s");
            // Never wider than the terminal: a wrapped line could not be redrawn in place.
            var width = Width();
            _terminal.Write($"\r\u001b[2K{(line.Length < width ? line : line[..Math.Max(0, width - 2)] + "…")}");
        }
    }

    private static int Width()
    {
        try
        {
            return Console.WindowWidth > 0 ? Console.WindowWidth : 80;
        }
        catch (IOException)
        {
            return 80;
        }
    }

    /// <summary>Ends the status line (cleared, so what follows starts on a clean line).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_ended) return;
            _ended = true;
            _redraw?.Dispose();
            _terminal?.Write("\r\u001b[2K");
            _terminal?.Dispose();
        }
    }
}
