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

    /// <summary>The Stopwatch timestamp this clock counts from: another clock's origin places its readings on this one.</summary>
    public long Origin => _origin;

    /// <summary>This clock's reading at a Stopwatch timestamp (another clock's <see cref="Origin"/>, say): exact, no wall time
    /// involved.</summary>
    public TimeSpan ReadingAt(long timestamp) => Stopwatch.GetElapsedTime(_origin, timestamp);

    /// <summary>The wall time of a reading, for display only.</summary>
    public DateTimeOffset WallTime(TimeSpan reading) => StartedAt + reading;
}
