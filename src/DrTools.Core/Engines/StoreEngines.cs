namespace DrTools.Core.Engines;

/// <summary>The stores DrTools drills, by the names targets, runbooks and reports use.</summary>
public static class StoreEngines
{
    public const string PostgreSql = "postgresql";
    public const string MariaDb = "mariadb";
    public const string Redis = "redis";

    public static IReadOnlyList<string> Names { get; } = [PostgreSql, MariaDb, Redis];

    private static readonly IReadOnlyDictionary<string, IStoreEngine> Others = new Dictionary<string, IStoreEngine>
    {
        [MariaDb] = Core.MariaDb.MariaDbEngine.Instance,
        [Redis] = Core.Redis.RedisEngine.Instance,
    };

    /// <summary>PostgreSQL's one kind of backup (pg_basebackup).</summary>
    public const string BaseBackup = "base";

    /// <summary>Every kind of backup of every store, PostgreSQL's first.</summary>
    public static IReadOnlyList<string> BackupKinds { get; } = [BaseBackup, .. Others.Values.SelectMany(e => e.BackupKinds)];

    /// <summary>Whether <paramref name="engine"/> is a store other than PostgreSQL that DrTools has an engine for.</summary>
    public static bool IsOther(string engine) => Others.ContainsKey(engine);

    /// <summary>The engine of a store other than PostgreSQL; null for PostgreSQL, whose code is DrTools' first.</summary>
    public static IStoreEngine? Get(string engine) => engine == PostgreSql ? null
        : Others.TryGetValue(engine, out var found) ? found
        : throw new DrToolsException($"engine '{engine}' is not a store DrTools drills (engines: {string.Join(", ", Names)}).",
            DrErrorKind.InvalidArgument);

    /// <summary>An engine name as users write it (PostgreSQL, postgres, MariaDB, mysql, Redis), or a clear refusal naming the
    /// input.</summary>
    public static string Parse(string? name, string what = "engine") => name?.Trim().ToLowerInvariant() switch
    {
        null or "" or "postgresql" or "postgres" or "pg" => PostgreSql,
        "mariadb" or "mysql" => MariaDb,
        "redis" => Redis,
        _ => throw new DrToolsException($"{what} '{name}' is not a store DrTools drills (engines: {string.Join(", ", Names)}).",
            DrErrorKind.InvalidArgument),
    };
}
