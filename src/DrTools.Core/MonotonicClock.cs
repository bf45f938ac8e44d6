using System.Diagnostics;

namespace DrTools.Core;

/// <summary>
/// The one clock a measurement uses: monotonic (Stopwatch), anchored once to wall time so that reports can show
/// when things happened while every duration is a difference of monotonic readings, immune to NTP steps.
/// </summary>
public sealed class MonotonicClock
{
    private readonly long _origin = Stopwatch.GetTimestamp();

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>Time since the clock started.</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_origin);

    /// <summary>The wall time of a reading, for display only.</summary>
    public DateTimeOffset WallTime(TimeSpan reading) => StartedAt + reading;
}
