namespace DrTools.Core.Probes;

/// <summary>
/// A client library's call that ends at its deadline even when the library does not give up on its own (Npgsql waits out
/// its own connect timeout for the startup answer of a frozen server, whatever the token says): the call is left to end
/// in the background, and what it holds is closed then. The deadline is a timer of its own, not the call's token: a
/// library's cancellation callback on that token may block the thread cancelling it (MySqlConnector's cancellation
/// connects to the server to kill the query) before any later callback runs.
/// </summary>
internal static class Bounded
{
    /// <param name="within">How long the call may take from now.</param>
    /// <param name="stop">Ends the wait at once, as the deadline does (the probe stopping).</param>
    /// <param name="afterwards">
    /// Run once a call cut off at its deadline has ended, however it ended: closes what it opened or the session it used.
    /// </param>
    public static async Task<T> WithinAsync<T>(Task<T> call, TimeSpan within, CancellationToken stop,
        Func<Task<T>, ValueTask> afterwards)
    {
        using var cut = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var deadline = Task.Delay(within > TimeSpan.Zero ? within : TimeSpan.Zero, cut.Token);
        if (await Task.WhenAny(call, deadline) == call)
        {
            await cut.CancelAsync();
            return await call;
        }
        _ = AfterwardsAsync(call, afterwards);
        throw new OperationCanceledException("cut off at the attempt's timeout", stop);
    }

    private static async Task AfterwardsAsync<T>(Task<T> call, Func<Task<T>, ValueTask> afterwards)
    {
        // The attempt already ended as failed at its deadline: how the call ended after that changes nothing but what to close.
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
