namespace DrTools.Core;

/// <summary>
/// Stops what runs on a token whose client-library calls registered their own cancellation callbacks on it. Npgsql 10's
/// callback throws ObjectDisposedException (its ManualResetEventSlim) when the connection it would cancel was closed
/// meanwhile, and CancellationTokenSource.Cancel rethrows that after running every other callback: a Patroni drill
/// in CI failed with it as its stop reached an attempt whose connection had just been closed. Nothing is left to
/// cancel on a closed connection, so that failure is not the stop's.
/// </summary>
internal static class Stopping
{
    public static void Stop(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (AggregateException e) when (e.Flatten().InnerExceptions.All(inner => inner is ObjectDisposedException))
        {
            // Every callback ran; only a closed connection's own cancellation failed.
        }
    }
}
