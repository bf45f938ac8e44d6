namespace DrTools.Core.Probes;

/// <summary>
/// A probe's rhythm: one attempt per 1/rate seconds on a grid of the drill's clock, never a burst to catch up after a slow
/// one: an attempt that overran its slot is followed by the next slot of the grid, so clients staggered on one clock stay
/// staggered through an outage that held them all.
/// </summary>
internal static class Pacing
{
    /// <param name="phase">How long after the start the grid begins: clients of one probe stagger their attempts.</param>
    public static async Task RunAsync(double rate, MonotonicClock clock, CancellationToken stop, Func<Task> attempt,
        TimeSpan phase = default)
    {
        var interval = TimeSpan.FromSeconds(1 / rate);
        var next = clock.Elapsed + phase;
        await DelayAsync(next - clock.Elapsed, stop);
        while (!stop.IsCancellationRequested)
        {
            await attempt();
            next += interval;
            var behind = clock.Elapsed - next;
            // Fell behind (a slow attempt): the next slot of the grid still to come.
            if (behind > TimeSpan.Zero) next += interval * Math.Ceiling(behind / interval);
            await DelayAsync(next - clock.Elapsed, stop);
        }
    }

    private static async Task DelayAsync(TimeSpan wait, CancellationToken stop)
    {
        if (wait > TimeSpan.Zero) await Task.Delay(wait, stop).ContinueWith(_ => { }, TaskScheduler.Default);
    }
}
