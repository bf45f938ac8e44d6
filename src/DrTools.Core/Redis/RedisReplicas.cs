using System.Globalization;
using DrTools.Core.Cluster;
using DrTools.Core.Engines;
using DrTools.Core.Integrity;

namespace DrTools.Core.Redis;

/// <summary>
/// The replicas' data against their primary's. A Redis replica made writable (replica-read-only no) keeps writes of its
/// own that no replication offset shows, and a partial resync from a new primary keeps them: a replica that differs
/// from its primary at the same offset is diverged. Status says so when the data is small; a drill's end always does.
/// </summary>
internal static class RedisReplicas
{
    /// <summary>How many keys of each kind a difference names (names only: values can be secrets).</summary>
    private const int Named = 5;

    /// <summary>
    /// The most keys (all logical databases) status compares the replicas' data with the primary's for: every status call
    /// scans them all, which a big dataset would make slow.
    /// </summary>
    public const long StatusKeyLimit = 1000;

    /// <summary>
    /// For status: each replica whose keys differ from the primary's once it applied all the primary had (why, by member
    /// name), and a note saying what was compared or why not. Compared only when the primary holds at most
    /// <see cref="StatusKeyLimit"/> keys. The primary's keys are read before and after the replica's, and judged only when
    /// they did not change between: Sentinels' hello messages move every offset every second or so without changing any
    /// key, so an unmoved offset would rarely be seen.
    /// </summary>
    public static async Task<(IReadOnlyDictionary<string, string> Diverged, string Note)> StatusAsync(RedisMember primary,
        IReadOnlyList<RedisMember> replicas, CancellationToken cancellationToken)
    {
        var diverged = new Dictionary<string, string>();
        var keys = KeyCount(await primary.InfoAsync("keyspace", cancellationToken));
        if (keys > StatusKeyLimit)
        {
            return (diverged, $"the replicas' data was not compared with the primary's: it holds {keys} keys, more than the "
                + $"{StatusKeyLimit} status compares on every call (a drill compares them at its end)");
        }
        var (compared, skipped) = (new List<string>(), new List<string>());
        foreach (var replica in replicas)
        {
            var (why, offset) = await CompareStillAsync(primary, replica, cancellationToken);
            if (offset is null)
            {
                skipped.Add($"{replica.Display} ({why})");
                continue;
            }
            compared.Add(replica.Display);
            if (why is not null)
            {
                diverged[replica.Name] = $"diverged from the primary {primary.Display} once it had applied the primary's replication "
                    + $"offset {offset}: {why}";
            }
        }
        var note = compared.Count == 0 ? "the replicas' data was not compared with the primary's"
            : $"every key's type, value digest and expiry on {string.Join(", ", compared)} compared with the primary's (status "
                + $"compares them while the primary holds at most {StatusKeyLimit} keys)";
        return (diverged, skipped.Count == 0 ? note : $"{note}; not compared: {string.Join(", ", skipped)}");
    }

    /// <summary>How often status reads the keys again when the primary's changed while the replica's were read.</summary>
    private const int StatusAttempts = 3;

    /// <summary>
    /// The replica's keys against the primary's, held still: the primary's read, its offset, the replica waited for until
    /// it applied that offset (at most 1 s), its keys read, then the primary's again, which must not have changed. The
    /// offset with how they differ (null when they do not); or no offset, with why nothing was judged.
    /// </summary>
    private static async Task<(string? Why, long? Offset)> CompareStillAsync(RedisMember primary, RedisMember replica,
        CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < StatusAttempts; attempt++)
        {
            var theirs = await RedisChecksum.KeyHashesAsync(primary, _ => true, cancellationToken);
            var offset = await OffsetAsync(primary, cancellationToken);
            if (!await Polling.UntilAsync(async () => await OffsetAsync(replica, cancellationToken) >= offset, TimeSpan.FromSeconds(1),
                    TimeSpan.FromMilliseconds(10), cancellationToken))
            {
                return ($"it did not apply the primary's offset {offset} within 1 s", null);
            }
            var ours = await RedisChecksum.KeyHashesAsync(replica, _ => true, cancellationToken);
            if (Differing(theirs, await RedisChecksum.KeyHashesAsync(primary, _ => true, cancellationToken)) is null)
            {
                return (Differing(theirs, ours), offset);
            }
        }
        return ($"the primary's keys changed while they were read, {StatusAttempts} times", null);
    }

    private static long KeyCount(IReadOnlyDictionary<string, string> keyspace) => keyspace.Values
        .Select(v => v.Split(',').FirstOrDefault(f => f.StartsWith("keys=", StringComparison.Ordinal)))
        .Sum(f => long.TryParse(f?[5..], CultureInfo.InvariantCulture, out var n) ? n : 0);

    private static async Task<long> OffsetAsync(RedisMember member, CancellationToken cancellationToken)
    {
        var info = await member.InfoAsync("replication", cancellationToken);
        var field = info.GetValueOrDefault("role") == "master" ? "master_repl_offset" : "slave_repl_offset";
        return long.TryParse(info.GetValueOrDefault(field), CultureInfo.InvariantCulture, out var offset) ? offset : -1;
    }

    /// <summary>
    /// At a drill's end: every replica that replicates (from the primary, or through another replica) compared with
    /// <paramref name="primary"/> once it reached the primary's offset; a replica diverged before the drill and left as it
    /// was, not compared again, is named as it was.
    /// </summary>
    public static async Task<ChecksumComparison?> CompareAsync(RedisCluster cluster, string primary, ClusterStatus topology,
        ClusterStatus before, ChecksumComparison? integrity, IReadOnlyList<string>? scope, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var source = cluster.Member(primary);
        var replicas = topology.Standbys.Where(s => s.ReplicationState == "streaming").ToList();
        var differences = before.Standbys
            .Where(s => s.Divergence is not null && s.Name != primary && replicas.All(r => r.Name != s.Name))
            .Select(s => new TableDifference(Name(s.Display), null, null, $"{s.Divergence} before the drill, which left it as it was"))
            .ToList();
        if (replicas.Count == 0 && differences.Count == 0) return integrity;
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
        var method = $"then each replica replicating at the drill's end ({string.Join(", ", replicas.Select(r => r.Display))}) compared "
            + $"with {source.Display}, once its replication offset had reached the primary's read after the probes stopped (waited "
            + $"for at most {DurationText.Format(timeout)}): the same per-key hashes summed per key pattern, and where a pattern "
            + "differed, each of its keys' hashes after a second catch-up, to name the keys (never values); a replica holding keys "
            + "its primary lacks, or differing in any key, or diverged before the drill, fails the integrity";
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
        var theirs = await RedisChecksum.KeyHashesAsync(primary, patterns.Contains, cancellationToken);
        var ours = await RedisChecksum.KeyHashesAsync(cluster.Member(replica.Name), patterns.Contains, cancellationToken);
        return Differing(theirs, ours) is { } differing
            ? new TableDifference(Name(replica.Display), theirs.Count, ours.Count,
                $"diverged from the primary {primary.Display} though both were at replication offset {offset}, in "
                + $"{string.Join(", ", patterns.Order(StringComparer.Ordinal))}: {differing}. A replica's own writes "
                + "(replica-read-only no) survive a partial resync: resynchronise it in full from the primary")
            : null;
    }

    /// <summary>How a replica's keys differ from the primary's, naming a few of each kind; null when they do not.</summary>
    private static string? Differing(IReadOnlyDictionary<string, decimal> primary, IReadOnlyDictionary<string, decimal> replica)
    {
        var extra = replica.Keys.Where(k => !primary.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var missing = primary.Keys.Where(k => !replica.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var changed = replica.Where(k => primary.TryGetValue(k.Key, out var hash) && hash != k.Value).Select(k => k.Key)
            .Order(StringComparer.Ordinal).ToList();
        var count = extra.Count + missing.Count + changed.Count;
        if (count == 0) return null;
        string? Keys(IReadOnlyList<string> keys, string what) => keys.Count == 0 ? null
            : $"{keys.Count} {what} ({string.Join(", ", keys.Take(Named))}{(keys.Count > Named ? ", …" : "")})";
        var kinds = new[]
        {
            Keys(extra, "only on the replica"), Keys(missing, "missing from it"), Keys(changed, "with another type, value or expiry"),
        }.OfType<string>();
        return $"{count} key(s) differ: {string.Join("; ", kinds)}";
    }
}
