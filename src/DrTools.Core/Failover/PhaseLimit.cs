namespace DrTools.Core.Failover;

/// <summary>
/// A drill's action bounded by the drill's phase timeout (--phase-timeout / -PhaseTimeout) rather than a fixed one: a fault
/// command that calls a cloud API may take minutes, and one that hangs holds the drill no longer than the user allowed.
/// </summary>
internal static class PhaseLimit
{
    public static async Task<T> RunAsync<T>(string what, TimeSpan limit, Func<CancellationToken, Task<T>> action,
        CancellationToken cancellationToken)
    {
        using var phase = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        phase.CancelAfter(limit);
        try
        {
            return await action(phase.Token);
        }
        catch (OperationCanceledException) when (phase.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new DrToolsException($"{what} did not finish within {DurationText.Format(limit)} (the phase timeout, --phase-timeout / "
                + "-PhaseTimeout).", DrErrorKind.Timeout);
        }
    }

    public static Task RunAsync(string what, TimeSpan limit, Func<CancellationToken, Task> action, CancellationToken cancellationToken) =>
        RunAsync(what, limit, async token =>
        {
            await action(token);
            return true;
        }, cancellationToken);
}
