using DrTools.Core.Cluster;

namespace DrTools.Core.Probes;

/// <summary>
/// What "the new topology holds" needs besides every member's own role: a write the sole primary acknowledged was read
/// back from it. One rule for every engine and recovery; each store answers whether a member holds a probe sequence.
/// </summary>
internal static class Settling
{
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
