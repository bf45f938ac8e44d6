using DrTools.Core.Cluster;

namespace DrTools.Core.Failover;

/// <summary>
/// A drill never starts an old primary again once another member accepts writes: before a rejoin it checks that the
/// member it promoted is still the only writer, and before restarting a primary after a failed drill that none is.
/// </summary>
internal static class RejoinGuard
{
    /// <summary>
    /// Refuses the rejoin unless <paramref name="promoted"/> is the one member besides <paramref name="oldPrimary"/> that
    /// accepts writes. The old primary itself may still: a partition or freeze fences it without stopping it, and the
    /// rejoin stops it before it rewinds it.
    /// </summary>
    public static void DemandSoleWriter(ClusterStatus status, string promoted, string oldPrimary)
    {
        var writers = OtherWriters(status, oldPrimary);
        if (writers.SequenceEqual([promoted])) return;
        var now = writers.Count == 0
            ? $"{promoted} no longer accepts writes"
            : $"{string.Join(" and ", writers)} accept{(writers.Count == 1 ? "s" : "")} writes";
        throw new DrToolsException($"the old primary {oldPrimary} was not brought back: {now}, not {promoted} alone "
            + $"(another drill or an HA manager took over?), and starting it again could make two primaries. Cluster: {status.Verdict}",
            DrErrorKind.InvalidOperation);
    }

    /// <summary>The members other than <paramref name="oldPrimary"/> that accept writes: restarting it would make two primaries.</summary>
    public static IReadOnlyList<string> OtherWriters(ClusterStatus status, string oldPrimary) =>
        Writers(status).Where(name => name != oldPrimary).ToList();

    /// <summary>What a failed drill says instead of restarting the old primary while others accept writes.</summary>
    public static string LeftDown(string oldPrimary, IReadOnlyList<string> writers) =>
        $" The old primary {oldPrimary} was left down: {string.Join(" and ", writers)} accept writes, "
        + "and restarting it would make two primaries.";

    private static IEnumerable<string> Writers(ClusterStatus status) =>
        status.Members.Where(m => m.Role == MemberRole.Primary).Select(m => m.Name);
}
