using DrTools.Core.Probes;

namespace DrTools.Core.Engines;

/// <summary>
/// A rejoin's copy of the new primary (the old primary rebuilt from it), between two Stopwatch timestamps, and what the
/// copy locks there: the drill places it on its clock and names the write stall it caused, which otherwise shows only
/// as the figure "write longest gap".
/// </summary>
public sealed record RebuildCopy(long Started, long Ended, string What, string Locks)
{
    public const string CopyStarted = "rebuild copy started", CopyEnded = "rebuild copy ended",
        WritesStalled = "writes stalled during the rebuild copy";

    internal void MarkCopy(Failover.Timeline timeline, MonotonicClock clock)
    {
        timeline.Mark(CopyStarted, What, clock.ReadingAt(Started));
        timeline.Mark(CopyEnded, Locks, clock.ReadingAt(Ended));
    }

    /// <summary>
    /// The longest gap between one write client's consecutive acknowledgements that overlaps the copy, when it lasted
    /// longer than <paramref name="stall"/> (a few of the client's intervals): marked from its start, naming the lock.
    /// </summary>
    internal void MarkStall(Failover.Timeline timeline, MonotonicClock clock, IReadOnlyList<ProbeSample> writes, TimeSpan stall)
    {
        var (from, to) = (clock.ReadingAt(Started), clock.ReadingAt(Ended));
        var gap = writes.Where(s => s.Succeeded && !s.Stopped).GroupBy(s => s.Client)
            .SelectMany(client =>
            {
                var acknowledged = client.OrderBy(s => s.Acknowledged).ToList();
                return acknowledged.Zip(acknowledged.Skip(1));
            })
            .Where(g => g.First.Acknowledged < to && g.Second.Acknowledged > from)
            .MaxBy(g => g.Second.Acknowledged - g.First.Acknowledged);
        if (gap.First is null) return;
        var (start, end) = (gap.First.Acknowledged!.Value, gap.Second.Acknowledged!.Value);
        if (end - start <= stall) return;
        timeline.Mark(WritesStalled, $"write client {gap.First.Client}: no write acknowledged for {Seconds(end - start)} s "
            + $"(+{Seconds(start)} s to +{Seconds(end)} s), while {What} ran: {Locks}", start);
    }

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture);
}
