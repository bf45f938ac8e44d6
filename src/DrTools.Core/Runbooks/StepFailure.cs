using System.Diagnostics;

namespace DrTools.Core.Runbooks;

/// <summary>How a step that did not succeed is told, the same in a run's journal and in a drill recorded on its own.</summary>
internal static class StepFailure
{
    /// <summary>A thrown step's failure in one line: a DrTools error as it says it, others with their type.</summary>
    public static string Message(Exception e) => e is DrToolsException ? e.Message : $"{e.GetType().Name}: {e.Message.Split('\n')[0]}";

    /// <summary>The report's issue for a step that did not succeed.</summary>
    public static string Issue(StepRecord record, bool continueOnError) =>
        $"{record.Label} ({record.Operation}) {Describe(record.Status)}: {record.Message}"
        + (continueOnError ? " (continueOnError: the run went on)" : "");

    private static string Describe(StepStatus status) => status switch
    {
        StepStatus.TimedOut => "timed out",
        StepStatus.Aborted => "was stopped by an abort condition",
        StepStatus.Cancelled => "was cancelled",
        StepStatus.Failed => "failed",
        _ => throw new UnreachableException($"step status {status} is not a failure"),
    };
}
