namespace DrTools.Core.Processes;

public sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError);
