namespace DrTools.Core.Runbooks;

/// <summary>A runbook that cannot run; its message lists every problem as FILE:LINE:COLUMN: message.</summary>
public sealed class RunbookInvalidException(string source, IReadOnlyList<RunbookError> errors)
    : DrToolsException(string.Join("\n", errors.Select(e => $"{source}:{e.Position}: {e.Message}")), DrErrorKind.InvalidArgument)
{
    public IReadOnlyList<RunbookError> Errors { get; } = errors;
}
