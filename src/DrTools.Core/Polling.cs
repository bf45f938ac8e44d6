using System.Diagnostics;

namespace DrTools.Core;

/// <summary>Every wait for a condition: asked at once, then every interval, until it holds or its timeout passes on the monotonic
/// clock.</summary>
public static class Polling
{
    /// <summary>False when the timeout passed first (the condition is asked once more at the deadline).</summary>
    public static async Task<bool> UntilAsync(Func<Task<bool>> done, TimeSpan timeout, TimeSpan interval,
        CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            if (await done()) return true;
            if (Stopwatch.GetElapsedTime(started) > timeout) return false;
            await Task.Delay(interval, cancellationToken);
        }
    }

    /// <summary>As <see cref="UntilAsync"/>, but a timeout is an error whose message <paramref name="timedOut"/> writes when it
    /// happens.</summary>
    public static async Task RequireAsync(Func<Task<bool>> done, TimeSpan timeout, TimeSpan interval, Func<string> timedOut,
        CancellationToken cancellationToken)
    {
        if (!await UntilAsync(done, timeout, interval, cancellationToken)) throw new DrToolsException(timedOut(), DrErrorKind.Timeout);
    }
}
