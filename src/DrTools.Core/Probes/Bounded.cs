namespace DrTools.Core.Probes;

/// <summary>
/// A client library's call that ends at its token even when the library does not give up on its own (Npgsql waits out
/// its own connect timeout for the startup answer of a frozen server, whatever the token says): the call is left to end
/// in the background, and what it holds is closed then.
/// </summary>
internal static class Bounded
{
    /// <param name="afterwards">
    /// Run once a call cut off at the token has ended, however it ended: closes what it opened or the session it used.
    /// </param>
    public static async Task<T> WithinAsync<T>(Task<T> call, CancellationToken token, Func<Task<T>, ValueTask> afterwards)
    {
        try
        {
            return await call.WaitAsync(token);
        }
        catch (OperationCanceledException)
        {
            _ = AfterwardsAsync(call, afterwards);
            throw;
        }
    }

    private static async Task AfterwardsAsync<T>(Task<T> call, Func<Task<T>, ValueTask> afterwards)
    {
        // The attempt already ended as failed at its token: how the call ended after that changes nothing but what to close.
        await call.ContinueWith(_ => { }, TaskScheduler.Default);
        try
        {
            await afterwards(call);
        }
        catch (Exception)
        {
            // Closing a connection whose server is gone or frozen may fail too; nothing is left open by it.
        }
    }
}
