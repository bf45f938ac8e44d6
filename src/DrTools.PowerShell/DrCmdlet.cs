using System.Management.Automation;
using DrTools.Core;

namespace DrTools.PowerShell;

/// <summary>
/// Base of every DrTools cmdlet: owns the cancellation that Ctrl+C (StopProcessing) triggers, and turns Core's
/// errors into one-line error records without stack traces.
/// </summary>
public abstract class DrCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();

    protected override void StopProcessing() => DrTools.Core.Stopping.Stop(_stopping);

    // Messages carry names and servers' words: shown masked of passwords and with control characters escaped.
    protected new void WriteWarning(string text) => base.WriteWarning(PrintableText.ForConsole(text));

    protected new void WriteVerbose(string text) => base.WriteVerbose(PrintableText.ForConsole(text));

    /// <summary>A hashtable as text values (a fault's parameters, an alert's labels): true/false, invariant numbers.</summary>
    protected static IReadOnlyDictionary<string, string> TextValues(System.Collections.Hashtable? table) =>
        (table ?? []).Cast<System.Collections.DictionaryEntry>().ToDictionary(e => e.Key.ToString()!, e => e.Value switch
        {
            bool flag => flag ? "true" : "false",
            IFormattable value => value.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
            var value => value?.ToString() ?? "",
        });

    /// <summary>Runs one Core operation to completion on the pipeline thread, cancelled when the pipeline stops.</summary>
    protected T RunOperation<T>(Func<CancellationToken, Task<T>> operation, object? errorTarget = null) =>
        // Off the pipeline thread, so that no continuation can wait for the thread blocked here.
        Complete(Task.Run(() => operation(_stopping.Token)), errorTarget);

    /// <summary>
    /// Runs an operation that needs the pipeline thread while it goes (script blocks, progress records): the pipeline
    /// thread serves the queue it posts to until the operation ends.
    /// </summary>
    protected T RunServingPipeline<T>(Func<PipelineQueue, CancellationToken, Task<T>> operation, object? errorTarget = null)
    {
        using var queue = new PipelineQueue();
        var task = Task.Run(() => operation(queue, _stopping.Token));
        queue.ServeUntil(task);
        return Complete(task, errorTarget);
    }

    private T Complete<T>(Task<T> task, object? errorTarget)
    {
        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (DrToolsException e)
        {
            var shown = new ErrorDetails(PrintableText.ForConsole(e.Message));
            ThrowTerminatingError(new ErrorRecord(e, $"DrTools.{e.Kind}", Category(e.Kind), errorTarget) { ErrorDetails = shown });
            throw; // not reached: ThrowTerminatingError always throws
        }
    }

    /// <summary>
    /// Runs a long operation showing its phases as they happen: a progress bar (phase and percentage) and, with
    /// -Verbose, a line per phase, both written on the pipeline thread.
    /// </summary>
    protected T RunWithProgress<T>(string activity, Func<IProgress<OperationProgress>, CancellationToken, Task<T>> operation,
        object? errorTarget = null) =>
        RunWithProgress(activity, (_, progress, token) => operation(progress, token), errorTarget);

    /// <summary>As above, for an operation that also runs script blocks: they go through <see cref="PipelineQueue"/>.</summary>
    protected T RunWithProgress<T>(string activity, Func<PipelineQueue, IProgress<OperationProgress>, CancellationToken, Task<T>> operation,
        object? errorTarget = null)
    {
        var result = RunServingPipeline((queue, token) => operation(queue, new PipelineProgress(this, queue, activity), token),
            errorTarget);
        WriteProgress(new ProgressRecord(ProgressId, activity, "done") { RecordType = ProgressRecordType.Completed });
        return result;
    }

    private const int ProgressId = 2;

    private sealed class PipelineProgress(Cmdlet cmdlet, PipelineQueue queue, string activity) : IProgress<OperationProgress>
    {
        public void Report(OperationProgress value) => queue.Post(() =>
        {
            var phase = PrintableText.ForConsole(value.Phase);
            var shown = PrintableText.ForConsole(activity);
            cmdlet.WriteProgress(new ProgressRecord(ProgressId, shown, phase) { PercentComplete = value.PercentComplete });
            cmdlet.WriteVerbose($"{shown}: {phase}");
        });
    }

    protected void RunOperation(Func<CancellationToken, Task> operation, object? errorTarget = null) =>
        RunOperation(async token => { await operation(token); return true; }, errorTarget);

    private static ErrorCategory Category(DrErrorKind kind) => kind switch
    {
        DrErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        DrErrorKind.ConnectionFailed => ErrorCategory.ConnectionError,
        DrErrorKind.Timeout => ErrorCategory.OperationTimeout,
        DrErrorKind.NotAllowed => ErrorCategory.PermissionDenied,
        DrErrorKind.ExternalCommandFailed => ErrorCategory.InvalidResult,
        _ => ErrorCategory.InvalidOperation,
    };

    public void Dispose()
    {
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }
}
