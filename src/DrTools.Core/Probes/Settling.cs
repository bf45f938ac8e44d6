using DrTools.Core.Cluster;

namespace DrTools.Core.Probes;

/// <summary>
/// What "the new topology holds" needs besides every member's own role: a write the sole primary acknowledged was read
/// back from it. One rule for every engine and recovery; each store answers whether a member holds a probe sequence.
/// </summary>
internal static class Settling
{
    /// <summary>
    /// How long no client may have had a write acknowledged, with attempts waiting, before the writes count as stalled: far
    /// above the few milliseconds an attempt takes, and above a scheduling hiccup of a loaded machine.
    /// </summary>
    public static readonly TimeSpan StallAfter = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Before a drill stops its probes: while every client waits on a write that stalled (a lock taken as the drill ended),
    /// the probes run on until writes flow again, at most <paramref name="timeout"/>, so the stall is measured, not dropped
    /// with the attempts the stop cuts short. Says so on the timeline when it waited.
    /// </summary>
    public static async Task WaitForFlowingWritesAsync(Probe writes, Failover.Timeline timeline, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        if (writes.Stalled(StallAfter) is not { } stalled) return;
        timeline.Mark("writes stalled at the end", $"{stalled}; the probes run on until they flow again");
        var flowing = await Polling.UntilAsync(() => Task.FromResult(writes.Stalled(StallAfter) is null), timeout,
            TimeSpan.FromMilliseconds(5), cancellationToken);
        timeline.Mark(flowing ? "writes flowing again" : "writes still stalled",
            flowing ? null : $"after {DurationText.Format(timeout)} (the phase timeout): the probes stop with them in flight");
    }

    /// <summary>Whether <c>member</c> holds the run's probe write <c>sequence</c> (the store's own read).</summary>
    public delegate Task<bool> HoldsSequence(string member, long sequence, CancellationToken cancellationToken);

    /// <summary>
    /// Null once every client of the write probe had a write <paramref name="member"/> acknowledged since
    /// <paramref name="since"/> and the last of them is read back from it; else what is missing, for the message when the
    /// topology never settles.
    /// </summary>
    public static async Task<string?> ReadBackAsync(Probe writes, TimeSpan since, string member, HoldsSequence holds,
        CancellationToken cancellationToken)
    {
        if (writes.Unserved(since, member) is { } unserved) return unserved;
        if (writes.Stalled(StallAfter) is { } stalled) return stalled;
        var write = writes.Samples.LastOrDefault(s =>
            s.Succeeded && s.Acknowledged >= since && s.Host is { } host && ClusterInspector.SameEndpoint(host, member));
        if (write is null) return $"{member} alone says it is the primary, but no probe write was acknowledged by it yet";
        try
        {
            return await holds(member, write.Sequence, cancellationToken)
                ? null
                : $"probe write {write.Sequence}, acknowledged by {member}, was not read back from it";
        }
        catch (DrToolsException e)
        {
            return $"reading back a probe write from {member} failed: {e.Message}";
        }
    }
}
