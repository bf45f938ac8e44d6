namespace DrTools.Core.Probes;

/// <summary>A probe's rhythm: one attempt per 1/rate seconds on the drill's clock, never a burst to catch up after a slow one.</summary>
internal static class Pacing
{
    /// <param name="phase">How long after the start the first attempt is: clients of one probe interleave their attempts.</param>
    public static async Task RunAsync(double rate, MonotonicClock clock, CancellationToken stop, Func<Task> attempt,
        TimeSpan phase = default)
    {
        var interval = TimeSpan.FromSeconds(1 / rate);
        if (phase > TimeSpan.Zero) await Task.Delay(phase, stop).ContinueWith(_ => { }, TaskScheduler.Default);
        var next = clock.Elapsed;
        while (!stop.IsCancellationRequested)
        {
            await attempt();
            next += interval;
            var wait = next - clock.Elapsed;
            if (wait > TimeSpan.Zero) await Task.Delay(wait, stop).ContinueWith(_ => { }, TaskScheduler.Default);
            else next = clock.Elapsed; // fell behind (a slow attempt): carry on at the rate
        }
    }
}
