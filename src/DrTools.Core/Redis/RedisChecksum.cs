using System.Security.Cryptography;
using System.Text;
using DrTools.Core.Integrity;

namespace DrTools.Core.Redis;

/// <summary>
/// Key counts and order-independent digests of a Redis server's keys, grouped by key pattern (the part before the
/// first ':', as prefix:*). Each key's value digest is DEBUG DIGEST-VALUE (independent of the encoding), or where DEBUG
/// is disabled a hash of DUMP. Redis has no snapshot a reader can hold: take it when nothing writes (a restored
/// instance, a fenced or paused primary).
/// </summary>
public static class RedisChecksum
{
    public const string Method = "per key pattern (prefix:*): the number of keys and the sum of the first 60 bits of sha256(key, DEBUG DIGEST-VALUE key) — order- and encoding-independent — over a SCAN of every key but DrTools' own (drtools:*)";

    /// <param name="scope">Key patterns (prefix:*) to keep; default all.</param>
    public static async Task<DbChecksum> TakeAsync(RedisMember member, IReadOnlyList<string>? scope, CancellationToken cancellationToken)
    {
        await using var connection = await member.OpenAsync(cancellationToken, checkClusterMode: true);
        var groups = new SortedDictionary<string, (long Keys, decimal Sum)>(StringComparer.Ordinal);
        var cursor = "0";
        bool? debugAllowed = null;
        do
        {
            var page = (object?[])(await member.CommandAsync(connection, cancellationToken, "SCAN", cursor, "COUNT", "1000"))!;
            cursor = (string)page[0]!;
            foreach (var key in ((object?[])page[1]!).Cast<string>())
            {
                if (key.StartsWith(RedisCluster.KeyPrefix, StringComparison.Ordinal)) continue;
                var pattern = Pattern(key);
                if (scope is not null && !scope.Contains(pattern)) continue;
                string? digest = null;
                if (debugAllowed != false)
                {
                    try
                    {
                        digest = await connection.TextAsync(cancellationToken, "DEBUG", "DIGEST-VALUE", key);
                        debugAllowed = true;
                    }
                    catch (RedisErrorException) when (debugAllowed is null)
                    {
                        debugAllowed = false; // DEBUG is off on this server (enable-debug-command no): DUMP instead
                    }
                }
                digest ??= Convert.ToHexStringLower(SHA256.HashData(await connection.BytesAsync(cancellationToken, "DUMP", key)));
                var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{key}\0{digest}"));
                var value = (decimal)(BitConverter.ToUInt64(hash, 0) >> 4);
                groups[pattern] = groups.TryGetValue(pattern, out var sum) ? (sum.Keys + 1, sum.Sum + value) : (1, value);
            }
        }
        while (cursor != "0");
        var offset = (await connection.InfoAsync("replication", cancellationToken)) is var info && info.GetValueOrDefault("role") == "master"
            ? info.GetValueOrDefault("master_repl_offset") : info.GetValueOrDefault("slave_repl_offset");
        var method = debugAllowed == false ? "dump-sha256" : "digest-value";
        return new DbChecksum(member.Display, "db0", DateTimeOffset.UtcNow, offset ?? "", groups.Select(g => new TableChecksum(g.Key, g.Value.Keys, g.Value.Sum) { Method = method }).ToList())
        {
            HowMeasured = debugAllowed == false ? Method.Replace("DEBUG DIGEST-VALUE key", "DUMP key (DEBUG is disabled)", StringComparison.Ordinal) : Method,
        };
    }

    /// <summary>The pattern a key is counted under: "user:*" for user:42, "(no prefix)" for a key without ':'.</summary>
    public static string Pattern(string key) => key.IndexOf(':') is var colon and > 0 ? key[..colon] + ":*" : "(no prefix)";
}
