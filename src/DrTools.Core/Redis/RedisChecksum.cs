using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DrTools.Core.Integrity;

namespace DrTools.Core.Redis;

/// <summary>
/// Key counts and order-independent digests of a Redis server's keys, grouped by key pattern (the part before the
/// first ':', as prefix:*). Each key counts with its type, its value's digest — DEBUG DIGEST-VALUE (independent of the
/// encoding), or where DEBUG is disabled a hash of DUMP — and its absolute expiry time (PEXPIRETIME, ms; "persistent"
/// without one), which an RDB, an AOF and a replica all keep as it was. Redis has no snapshot a reader can hold: take
/// it when nothing writes (a restored instance, a fenced or paused primary).
/// </summary>
public static class RedisChecksum
{
    public const string Method = "per key pattern (prefix:*): the number of keys and the sum of the first 60 bits of "
        + "sha256(key, TYPE key, DEBUG DIGEST-VALUE key, PEXPIRETIME key or 'persistent') — order- and encoding-independent — "
        + "over a SCAN of every key but DrTools' own (drtools:*) in every logical database that holds keys (db1/prefix:* beyond db0)";

    /// <summary>
    /// The per-pattern method names; those of checksums taken before types and expiry times counted differ ("+expiry" held
    /// only whether a key expires), so their comparison says so.
    /// </summary>
    private const string DigestMethod = "type+digest-value+expiry-time", DumpMethod = "type+dump-sha256+expiry-time";

    /// <param name="scope">Key patterns (prefix:*) to keep; default all.</param>
    public static async Task<DbChecksum> TakeAsync(RedisMember member, IReadOnlyList<string>? scope, CancellationToken cancellationToken)
    {
        await using var connection = await member.OpenAsync(cancellationToken, checkClusterMode: true);
        var groups = new SortedDictionary<string, (long Keys, decimal Sum, long? FirstExpiry)>(StringComparer.Ordinal);
        var scan = new ScanState();
        bool InScope(string pattern) => scope is null || scope.Contains(pattern);
        await foreach (var entry in KeysAsync(member, connection, InScope, scan, cancellationToken))
        {
            groups[entry.Pattern] = groups.TryGetValue(entry.Pattern, out var sum)
                ? (sum.Keys + 1, sum.Sum + entry.Hash, sum.FirstExpiry < (entry.Expiry ?? long.MaxValue) ? sum.FirstExpiry : entry.Expiry)
                : (1, entry.Hash, entry.Expiry);
        }
        var offset = (await connection.InfoAsync("replication", cancellationToken)) is var info
            && info.GetValueOrDefault("role") == "master"
            ? info.GetValueOrDefault("master_repl_offset") : info.GetValueOrDefault("slave_repl_offset");
        var method = scan.DebugAllowed == false ? DumpMethod : DigestMethod;
        var tables = groups.Select(g => new TableChecksum(g.Key, g.Value.Keys, g.Value.Sum)
        {
            Method = method,
            FirstExpiry = g.Value.FirstExpiry is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null,
        }).ToList();
        return new DbChecksum(member.Display, "db0", DateTimeOffset.UtcNow, offset ?? "", tables)
        {
            TableWord = "key pattern",
            RowWord = "key",
            HowMeasured = scan.DebugAllowed == false
                ? Method.Replace("DEBUG DIGEST-VALUE key", "sha256(DUMP key) (DEBUG is disabled)", StringComparison.Ordinal)
                : Method,
        };
    }

    /// <summary>
    /// Each key of the patterns <paramref name="keep"/> keeps (as <see cref="Pattern(string, int)"/> names them) with its hash
    /// as <see cref="TakeAsync"/> sums it: which keys differ where two checksums do. Keys are named "db1/key" beyond db0.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, decimal>> KeyHashesAsync(RedisMember member, Func<string, bool> keep,
        CancellationToken cancellationToken)
    {
        await using var connection = await member.OpenAsync(cancellationToken, checkClusterMode: true);
        var hashes = new Dictionary<string, decimal>(StringComparer.Ordinal);
        await foreach (var entry in KeysAsync(member, connection, keep, new ScanState(), cancellationToken))
        {
            hashes[entry.Key] = entry.Hash;
        }
        return hashes;
    }

    private sealed record KeyEntry(string Pattern, string Key, decimal Hash, long? Expiry);

    /// <summary>Whether DEBUG DIGEST-VALUE answers on the member (null until the first page asked): DUMP where it does not.</summary>
    private sealed class ScanState
    {
        public bool? DebugAllowed { get; set; }
    }

    /// <summary>
    /// Every key but DrTools' own whose pattern <paramref name="keep"/> keeps, in every logical database that holds keys.
    /// </summary>
    private static async IAsyncEnumerable<KeyEntry> KeysAsync(RedisMember member, RedisConnection connection, Func<string, bool> keep,
        ScanState scan, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Every logical database that holds keys: a restore that lost db1 must not pass on db0 alone.
        var databases = (await connection.InfoAsync("keyspace", cancellationToken)).Keys
            .Select(k => k.StartsWith("db", StringComparison.Ordinal) && int.TryParse(k[2..], out var n) ? n : 0)
            .Append(0).Distinct().Order().ToList();
        foreach (var database in databases)
        {
            if (databases.Count > 1)
            {
                await member.CommandAsync(connection, cancellationToken, "SELECT", database.ToString(CultureInfo.InvariantCulture));
            }
            var cursor = "0";
            do
            {
                var page = (object?[])(await member.CommandAsync(connection, cancellationToken, "SCAN", cursor, "COUNT", "1000"))!;
                cursor = (string)page[0]!;
                var keys = ((object?[])page[1]!).Cast<string>()
                    .Where(k => !k.StartsWith(RedisCluster.KeyPrefix, StringComparison.Ordinal) && keep(Pattern(k, database)))
                    .ToList();
                if (keys.Count == 0) continue;
                // One round trip a page: the digests of all its keys (DEBUG DIGEST-VALUE answers an array), then each key's type and
                // absolute expiry (not PTTL, which shrinks as the clock runs).
                var debug = scan.DebugAllowed != false;
                List<string[]> commands = debug ? [["DEBUG", "DIGEST-VALUE", .. keys]] : [];
                foreach (var key in keys) commands.AddRange([["TYPE", key], ["PEXPIRETIME", key]]);
                var replies = await Pipeline(member, connection, commands, cancellationToken);
                var digestReply = debug ? replies[0] : null;
                if (debug) replies = replies[1..];
                // DEBUG is off here (enable-debug-command no): DUMP instead.
                if (digestReply is RedisErrorException && scan.DebugAllowed is null) scan.DebugAllowed = false;
                var digests = new List<string>(keys.Count);
                if (scan.DebugAllowed == false)
                {
                    foreach (var key in keys)
                    {
                        digests.Add(Convert.ToHexStringLower(SHA256.HashData(await connection.BytesAsync(cancellationToken, "DUMP", key))));
                    }
                }
                else
                {
                    scan.DebugAllowed = true;
                    digests.AddRange(Reply<object?[]>(member, digestReply).Select(d => (string)d!));
                }
                for (var i = 0; i < keys.Count; i++)
                {
                    var type = Reply<string>(member, replies[2 * i]);
                    var expiry = Reply<long>(member, replies[2 * i + 1]);
                    if (type == "none" || expiry == -2) continue; // expired or deleted since the SCAN
                    var expires = expiry >= 0 ? expiry.ToString(CultureInfo.InvariantCulture) : "persistent";
                    var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{keys[i]}\0{type}\0{digests[i]}\0{expires}"));
                    yield return new KeyEntry(Pattern(keys[i], database), database == 0 ? keys[i] : $"db{database}/{keys[i]}",
                        BitConverter.ToUInt64(hash, 0) >> 4, expiry >= 0 ? expiry : null);
                }
            }
            while (cursor != "0");
        }
    }

    private static async Task<object?[]> Pipeline(RedisMember member, RedisConnection connection, IReadOnlyList<string[]> commands,
        CancellationToken cancellationToken)
    {
        try
        {
            return await connection.PipelineAsync(commands, cancellationToken);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException && !cancellationToken.IsCancellationRequested)
        {
            throw member.Describe(e);
        }
    }

    private static T Reply<T>(RedisMember member, object? reply) => reply switch
    {
        T value => value,
        RedisErrorException error => throw member.Describe(error),
        _ => throw member.Describe(new IOException($"unexpected reply '{reply}' while taking the checksum")),
    };

    /// <summary>The pattern a key is counted under: "user:*" for user:42, "(no prefix)" for a key without ':'.</summary>
    public static string Pattern(string key) => key.IndexOf(':') is var colon and > 0 ? key[..colon] + ":*" : "(no prefix)";

    /// <summary>A key's pattern in logical database <paramref name="database"/>: "db1/user:*"; db0's without the prefix.</summary>
    public static string Pattern(string key, int database) => database == 0 ? Pattern(key) : $"db{database}/{Pattern(key)}";
}
