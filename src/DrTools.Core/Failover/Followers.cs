using DrTools.Core.Cluster;

namespace DrTools.Core.Failover;

/// <summary>
/// The replicas at the end of a drill, whatever the engine (DrTools' own drills and Sentinel's): every reachable member but
/// the final primary replicates from it, or the drill names it and why, and is not met. A member down (the old primary not
/// rejoined) is not a replica that fails to follow.
/// </summary>
internal static class Followers
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    /// <summary>Each reachable member other than <paramref name="primary"/> that does not replicate from it, and why.</summary>
    public static IReadOnlyList<(MemberStatus Member, string Line)> NotFollowing(ClusterStatus status, string primary)
    {
        var followed = status.Members.FirstOrDefault(m => m.Name == primary);
        return status.Members.Where(m => m.Name != primary && m.Role != MemberRole.Unreachable)
            .Select(m => (Member: m, Why: Why(m, followed)))
            .Where(m => m.Why is not null)
            .Select(m => (m.Member, $"{m.Member.Name} does not replicate from {primary}: {m.Why}"))
            .ToList();
    }

    private static string? Why(MemberStatus member, MemberStatus? primary)
    {
        if (member.Role == MemberRole.Primary) return "it accepts writes as a primary too";
        if (member.ReplicationError is { } error) return error;
        if (member.Upstream is { } upstream && (primary is null || !ClusterInspector.SameEndpoint(upstream, primary.Endpoint)))
        {
            return $"it replicates from {upstream}";
        }
        return member.ReplicationState == "streaming" ? null
            : $"its replication is {member.ReplicationState ?? "not running"}"
                + (member.WalReceiverStatus is { } receiver ? $" ({receiver})" : "");
    }

    /// <summary>
    /// Reads the cluster until every reachable member replicates from <paramref name="primary"/>, or each one that does not
    /// has halted (its own error says it never will: no point waiting), or <paramref name="timeout"/>. The timeline names
    /// the wait and how it ended.
    /// </summary>
    /// <param name="leftDown">The member the drill left down (the old primary, not rejoined): not waited for.</param>
    /// <param name="divergedBefore">
    /// Members that held writes their primary never had before the drill, which left them as they were: they never follow,
    /// so they are not waited for either.
    /// </param>
    /// <returns>The status read last, and a line per member that does not follow.</returns>
    public static async Task<(ClusterStatus Status, IReadOnlyList<string> NotFollowing)> WaitAsync(
        Func<CancellationToken, Task<ClusterStatus>> read, string primary, string? leftDown, IReadOnlyList<MemberStatus> divergedBefore,
        TimeSpan timeout, Timeline timeline, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        bool NeverFollows((MemberStatus Member, string Line) lagging) =>
            lagging.Member.ReplicationHalted || divergedBefore.Any(d => d.Name == lagging.Member.Name);
        var bound = DurationText.Format(timeout);
        progress.Enter($"waiting for the replicas to replicate from {primary} (at most {bound})", 97);
        timeline.Mark("waiting for the replicas", $"every reachable member but {primary} replicating from it, at most {bound}; "
            + "one whose replication halted on its own error is not waited for");
        ClusterStatus? status = null;
        IReadOnlyList<(MemberStatus Member, string Line)> lagging = [];
        var ended = await Polling.UntilAsync(async () =>
        {
            status = await read(cancellationToken);
            lagging = NotFollowing(status, primary);
            // A member down that the drill did not leave down is coming back (a rejoin), and with every member up the
            // cluster's own verdict is awaited too (a slot becoming active).
            var down = status.Members.Where(m => m.Role == MemberRole.Unreachable).ToList();
            // A member diverged now (Redis: keys its primary lacks) stays so however long the drill waits.
            return status.Healthy
                || (lagging.Count > 0 && lagging.All(NeverFollows))
                || (lagging.Count == 0 && down.All(m => m.Name == leftDown)
                    && (down.Count > 0 || status.Members.Any(m => m.Divergence is not null)));
        }, timeout, Interval, cancellationToken);
        var lines = lagging.Select(l => divergedBefore.FirstOrDefault(d => d.Name == l.Member.Name) is { } diverged
                ? $"{l.Line}; it was {diverged.Divergence} before the drill"
                : l.Member.ReplicationHalted || ended ? l.Line : $"{l.Line} (still so after {bound})")
            .ToList();
        timeline.Mark("replicas waited for", lines.Count > 0 ? string.Join("; ", lines)
            : $"every reachable member replicates from {primary}{(ended ? "" : $"; the cluster was still unhealthy after {bound}")}");
        return (status!, lines);
    }
}
