using DrTools.Core.Cluster;
using DrTools.Core.Engines;
using DrTools.Core.Integrity;

namespace DrTools.Core.Redis;

/// <summary>
/// The replicas' data against their primary's at a drill's end. A Redis replica made writable (replica-read-only no) keeps
/// writes of its own that no replication offset shows, and a partial resync from a new primary keeps them: a replica
/// left in the topology that differs from its primary is diverged, and the drill's integrity fails naming it.
/// </summary>
internal static class RedisReplicas
{
    /// <summary>How many keys of each kind a difference names (names only: values can be secrets).</summary>
    private const int Named = 5;

    public static async Task<ChecksumComparison?> CompareAsync(RedisCluster cluster, string primary, ClusterStatus topology,
        ChecksumComparison? integrity, IReadOnlyList<string>? scope, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var source = cluster.Member(primary);
        var replicas = topology.Standbys
            .Where(s => s.ReplicationState == "streaming" && s.Upstream is { } upstream
                && ClusterInspector.SameEndpoint(upstream, source.Endpoint))
            .ToList();
        if (replicas.Count == 0) return integrity;
        var differences = new List<TableDifference>();
        DbChecksum? reference = null;
        foreach (var replica in replicas)
        {
            var caughtUp = await CatchUpAsync(cluster, primary, replica.Name, timeout, cancellationToken);
            if (caughtUp.Error is { } error)
            {
                differences.Add(new TableDifference(Name(replica.Display), null, null, $"not compared with {source.Display}: {error}"));
                continue;
            }
            reference ??= await RedisChecksum.TakeAsync(source, scope, cancellationToken);
            var copy = DbChecksums.Compare(reference,
                await RedisChecksum.TakeAsync(cluster.Member(replica.Name), scope, cancellationToken));
            if (!copy.Failed) continue;
            // A write the primary took between the two checksums differs too: the keys are compared after a second catch-up.
            var patterns = copy.Differences.Select(d => d.Table).ToHashSet(StringComparer.Ordinal);
            if (await DifferingKeysAsync(cluster, source, replica, patterns, timeout, cancellationToken) is { } differing)
            {
                differences.Add(differing);
            }
        }
        reference ??= await RedisChecksum.TakeAsync(source, scope, cancellationToken);
        var method = $"then each replica replicating from {source.Display} at the drill's end ("
            + $"{string.Join(", ", replicas.Select(r => r.Display))}) compared with it, once its replication offset had reached the "
            + $"primary's read after the probes stopped (waited for at most {DurationText.Format(timeout)}): the same per-key hashes "
            + "summed per key pattern, and where a pattern differed, each of its keys' hashes after a second catch-up, to name the "
            + "keys (never values); a replica holding keys its primary lacks or differing in any key fails the integrity";
        if (integrity is null)
        {
            return new ChecksumComparison(reference with { HowMeasured = $"{reference.HowMeasured}; {method}" }, reference, differences);
        }
        return integrity with
        {
            Reference = integrity.Reference with { HowMeasured = $"{integrity.Reference.HowMeasured}; {method}" },
            Differences = [.. integrity.Differences, .. differences],
        };
    }

    private static string Name(string replica) => $"replica {replica}";

    /// <summary>Waits until the replica has applied the primary's offset as read now: the error when it does not in time.</summary>
    private static async Task<(ReplicaPosition Offset, string? Error)> CatchUpAsync(RedisCluster cluster, string primary, string replica,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        var offset = await cluster.AppliedPositionAsync(primary, cancellationToken);
        try
        {
            await cluster.WaitAppliedAsync(replica, offset, timeout, cancellationToken);
            return (offset, null);
        }
        catch (DrToolsException e) when (!cancellationToken.IsCancellationRequested)
        {
            return (offset, e.Message);
        }
    }

    /// <summary>The keys of <paramref name="patterns"/> that differ between the replica and the primary, or null when none do.</summary>
    private static async Task<TableDifference?> DifferingKeysAsync(RedisCluster cluster, RedisMember primary, MemberStatus replica,
        IReadOnlySet<string> patterns, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var (offset, error) = await CatchUpAsync(cluster, primary.Name, replica.Name, timeout, cancellationToken);
        if (error is not null)
        {
            return new TableDifference(Name(replica.Display), null, null, $"not compared with {primary.Display}: {error}");
        }
        var theirs = await RedisChecksum.KeyHashesAsync(primary, patterns, cancellationToken);
        var ours = await RedisChecksum.KeyHashesAsync(cluster.Member(replica.Name), patterns, cancellationToken);
        var extra = ours.Keys.Where(k => !theirs.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var missing = theirs.Keys.Where(k => !ours.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var changed = ours.Where(k => theirs.TryGetValue(k.Key, out var hash) && hash != k.Value).Select(k => k.Key)
            .Order(StringComparer.Ordinal).ToList();
        var count = extra.Count + missing.Count + changed.Count;
        if (count == 0) return null;
        string? Keys(IReadOnlyList<string> keys, string what) => keys.Count == 0 ? null
            : $"{keys.Count} {what} ({string.Join(", ", keys.Take(Named))}{(keys.Count > Named ? ", …" : "")})";
        var kinds = new[]
        {
            Keys(extra, "only on the replica"), Keys(missing, "missing from it"), Keys(changed, "with another type, value or expiry"),
        }.OfType<string>();
        return new TableDifference(Name(replica.Display), theirs.Count, ours.Count,
            $"diverged from the primary {primary.Display} though both were at replication offset {offset}: {count} key(s) differ in "
            + $"{string.Join(", ", patterns.Order(StringComparer.Ordinal))}: {string.Join("; ", kinds)}. A replica's own writes "
            + "(replica-read-only no) survive a partial resync: resynchronise it in full from the primary");
    }
}
