namespace DrTools.Core.Runbooks;

/// <summary>A problem in a runbook file at a place in it.</summary>
public sealed record RunbookError(SourcePosition Position, string Message)
{
    /// <summary>One line: a value quoted from the file may hold line breaks, and the next line is the next problem's.</summary>
    public string Message { get; } = PrintableText.OneLine(Message);
}
