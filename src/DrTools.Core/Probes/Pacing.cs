namespace DrTools.Core.Probes;

/// <summary>A probe's rhythm: one attempt per 1/rate seconds on the drill's clock, never a burst to catch up after a slow one.</summary>
internal static class Pacing
{
    public static async Task RunAsync(double rate, MonotonicClock clock, CancellationToken stop, Func<long, Task> attempt)
    {
        var interval = TimeSpan.FromSeconds(1 / rate);
        var next = clock.Elapsed;
        for (long sequence = 1; !stop.IsCancellationRequested; sequence++)
        {
            await attempt(sequence);
            next += interval;
            var wait = next - clock.Elapsed;
            if (wait > TimeSpan.Zero) await Task.Delay(wait, stop).ContinueWith(_ => { }, TaskScheduler.Default);
            else next = clock.Elapsed; // fell behind (a slow attempt): carry on at the rate
        }
    }
}
