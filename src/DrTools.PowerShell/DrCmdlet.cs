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

    protected override void StopProcessing() => _stopping.Cancel();

    /// <summary>Runs one Core operation to completion on the pipeline thread, cancelled when the pipeline stops.</summary>
    protected T Run<T>(Func<CancellationToken, Task<T>> operation, object? errorTarget = null)
    {
        try
        {
            // Off the pipeline thread, so that no continuation can wait for the thread blocked here.
            return Task.Run(() => operation(_stopping.Token)).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (DrToolsException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, $"DrTools.{e.Kind}", Category(e.Kind), errorTarget));
            throw; // not reached: ThrowTerminatingError always throws
        }
    }

    protected void Run(Func<CancellationToken, Task> operation, object? errorTarget = null) =>
        Run(async token => { await operation(token); return true; }, errorTarget);

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
