using System.Collections.Concurrent;
using System.Management.Automation;

namespace DrTools.PowerShell;

/// <summary>
/// Work that must run on the pipeline thread (PowerShell script blocks, WriteProgress), posted from a Core operation
/// running elsewhere and served by the cmdlet's thread until the operation ends.
/// </summary>
public sealed class PipelineQueue : IDisposable
{
    private readonly BlockingCollection<Action> _work = new();

    /// <summary>Runs <paramref name="action"/> on the pipeline thread; the caller stops waiting when its token is cancelled.</summary>
    public Task<T> InvokeAsync<T>(Func<T> action, CancellationToken cancellationToken)
    {
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Run()
        {
            try
            {
                result.SetResult(action());
            }
            catch (Exception e)
            {
                result.SetException(e);
            }
        }
        if (!TryAdd(Run)) result.SetException(new InvalidOperationException("the pipeline no longer runs work: the cmdlet has finished."));
        return result.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Posts output for the user (progress, verbose); dropped once the pipeline is stopping.</summary>
    public void Post(Action action) => TryAdd(() =>
    {
        try
        {
            action();
        }
        catch (PipelineStoppedException)
        {
            // Ctrl+C: nothing can be written any more, and the operation is already cleaning up.
        }
    });

    private bool TryAdd(Action work)
    {
        try
        {
            return _work.TryAdd(work);
        }
        catch (InvalidOperationException)
        {
            return false; // the operation has ended and the pipeline thread stopped serving
        }
    }

    /// <summary>Serves posted work on the calling (pipeline) thread until <paramref name="operation"/> ends.</summary>
    public void ServeUntil(Task operation)
    {
        operation.ContinueWith(_ => _work.CompleteAdding(), TaskScheduler.Default);
        foreach (var work in _work.GetConsumingEnumerable()) work();
    }

    public void Dispose() => _work.Dispose();
}
