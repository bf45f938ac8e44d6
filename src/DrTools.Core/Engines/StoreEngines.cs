namespace DrTools.Core.Engines;

/// <summary>The stores DrTools drills: every engine listed once, the names targets, runbooks and reports use from it.</summary>
public static class StoreEngines
{
    public const string PostgreSql = "postgresql";
    public const string MariaDb = "mariadb";
    public const string Redis = "redis";

    /// <summary>Every engine, the default (PostgreSQL) first.</summary>
    public static IReadOnlyList<IStoreEngine> All { get; } =
        [Postgres.PostgresEngine.Instance, Core.MariaDb.MariaDbEngine.Instance, Core.Redis.RedisEngine.Instance];

    public static IReadOnlyList<string> Names { get; } = [.. All.Select(e => e.Name)];

    /// <summary>Every kind of backup of every store, PostgreSQL's first.</summary>
    public static IReadOnlyList<string> BackupKinds { get; } = [.. All.SelectMany(e => e.BackupKinds)];

    /// <summary>Whether <paramref name="engine"/> names a store DrTools has an engine for.</summary>
    public static bool IsKnown(string engine) => All.Any(e => e.Name == engine);

    /// <summary>The engine of a store by its name (postgresql, mariadb, redis).</summary>
    public static IStoreEngine Get(string engine) => All.FirstOrDefault(e => e.Name == engine)
        ?? throw new DrToolsException($"engine '{engine}' is not a store DrTools drills (engines: {string.Join(", ", Names)}).",
            DrErrorKind.InvalidArgument);

    /// <summary>An engine name as users write it (PostgreSQL, postgres, MariaDB, mysql, Redis; none: PostgreSQL), or a clear
    /// refusal naming the input.</summary>
    public static string Parse(string? name, string what = "engine") => string.IsNullOrWhiteSpace(name) ? PostgreSql
        : All.FirstOrDefault(e => e.Aliases.Contains(name.Trim().ToLowerInvariant()))?.Name
        ?? throw new DrToolsException($"{what} '{name}' is not a store DrTools drills (engines: {string.Join(", ", Names)}).",
            DrErrorKind.InvalidArgument);
}
