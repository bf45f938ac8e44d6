using DrTools.Core.Postgres;
using Npgsql;

namespace DrTools.Core.Integrity;

/// <summary>The tables in scope of a database at one snapshot, all read in one REPEATABLE READ transaction.</summary>
public sealed record DbChecksum(string Member, string Database, DateTimeOffset TakenAt, string Lsn, IReadOnlyList<TableChecksum> Tables)
{
    /// <summary>How the checksum was computed, for reports: PostgreSQL's <see cref="Method"/> unless another engine took it.</summary>
    public string HowMeasured { get; init; } = Method;

    /// <summary>What its tables and their rows are on the engine that took it: Redis counts keys by key pattern.</summary>
    public string TableWord { get; init; } = "table";

    /// <inheritdoc cref="TableWord"/>
    public string RowWord { get; init; } = "row";

    /// <summary>
    /// The server's other databases (all but the templates), each checksummed the same way when the member's own database
    /// is; null when only that one was (a table list was given, or a reference from before all databases were read).
    /// </summary>
    public IReadOnlyList<DbChecksum>? OtherDatabases { get; init; }

    /// <summary>The check of the tables' indexes against their rows, when one was asked for (checksum --check-indexes).</summary>
    public IndexCheckResult? Indexes { get; init; }

    /// <summary>Every table checksummed: the own database's as schema.table, the others' as database.schema.table.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<TableChecksum> AllTables =>
        [.. Tables, .. (OtherDatabases ?? []).SelectMany(d => d.Tables.Select(t => t with { Table = $"{d.Database}.{t.Table}" }))];

    public const string Method = "per table: count(*) and sum(hash_record_extended(row, 0)) — or sum(hashtextextended(row::text, 0)) where "
        + "a column type has no extended hash (json, point, …), the same way as the reference — order-independent — over all tables read "
        + "in one REPEATABLE READ snapshot";
}
