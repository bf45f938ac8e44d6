namespace DrTools.Core;

/// <summary>
/// Stops what runs on a token whose client-library calls registered their own cancellation callbacks on it. Npgsql 10's
/// callback throws when the connection it would cancel was closed meanwhile — ObjectDisposedException (its
/// ManualResetEventSlim: a Patroni drill in CI failed with it as its stop reached an attempt whose connection had just
/// been closed) or NullReferenceException (Ctrl+C of `drtools drill` crashed the process with it, leaving its cleanup
/// undone) — and CancellationTokenSource.Cancel rethrows that after running every other callback. Nothing is left to
/// cancel on a closed connection, so that failure is not the stop's; any other is rethrown.
/// </summary>
public static class Stopping
{
    public static void Stop(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (AggregateException e) when (e.Flatten().InnerExceptions.All(ClosedConnectionsCancellation))
        {
            // Every callback ran; only a closed connection's own cancellation failed.
        }
    }

    private static bool ClosedConnectionsCancellation(Exception e) => e is ObjectDisposedException
        || e is NullReferenceException && e.TargetSite?.DeclaringType?.Namespace?.StartsWith("Npgsql", StringComparison.Ordinal) == true;
}
