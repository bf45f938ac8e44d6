using DrTools.Core.Postgres;
using Npgsql;

namespace DrTools.Core.Integrity;

/// <summary>One table's row count and order-independent content checksum (sum of a 64-bit hash of every row).</summary>
public sealed record TableChecksum(string Table, long Rows, decimal Checksum)
{
    /// <summary>How the rows were hashed: "record" (hash_record_extended) or "text" (hashtextextended of the row's text form; also when
    /// unset, as in catalogs written before "record").</summary>
    public string? Method { get; init; }

    /// <summary>
    /// Redis: the earliest expiry time among the pattern's keys (none when no key expires). Keys gone after it may have
    /// expired rather than been lost; nothing recorded tells the two apart, so a comparison names it with the difference.
    /// </summary>
    public DateTimeOffset? FirstExpiry { get; init; }

    /// <summary>
    /// MariaDB: the table's columns and indexes, one "what: how" line each (see <see cref="TableDefinitions"/>); none in
    /// references taken before definitions were recorded, whose comparisons cannot see a schema change.
    /// </summary>
    public string? Definition { get; init; }
}

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

public sealed record TableDifference(string Table, long? ReferenceRows, long? Rows, string Reason);

/// <summary>
/// PASS when every table in the reference has the same count and checksum now, and no table in scope was added. With no
/// table in scope at all (none in the reference, none now) nothing was compared: not a PASS unless the user allowed it.
/// </summary>
public sealed record ChecksumComparison(DbChecksum Reference, DbChecksum Current, IReadOnlyList<TableDifference> Differences)
{
    public const string NotChecked = "not checked: nothing in scope";

    /// <summary>Nothing to compare: no table (Redis: key pattern) in the reference and none now.</summary>
    public bool NothingInScope => Reference.AllTables.Count == 0 && Current.AllTables.Count == 0;

    /// <summary>The user accepts nothing in scope as a pass (-AllowEmpty, --allow-empty, allowEmpty: true).</summary>
    public bool AllowEmpty { get; init; }

    /// <summary>
    /// Something differs, or an index of the current checksum (when checked) does not match its rows. Neither failed nor
    /// passed: nothing in scope, not allowed.
    /// </summary>
    public bool Failed => Differences.Count > 0 || IndexFaults.Count > 0;

    private IReadOnlyList<IndexFault> IndexFaults => Current.Indexes?.Faults ?? [];
    public bool Passed => !Failed && (!NothingInScope || AllowEmpty);
    public string Result => Failed ? "FAIL" : Passed ? "PASS" : NotChecked;

    private string DatabaseCount => Reference.OtherDatabases is { } others ? $" in {others.Count + 1} database(s)" : "";

    public override string ToString() => (Failed, NothingInScope) switch
    {
        // A table's name is the server's: printed on the verdict's line, a line feed in it made a "PASS: …" line of its own.
        (true, _) => $"FAIL: {string.Join("; ", [.. Differences.Select(d => $"{PrintableText.OneLine(d.Table)}: {d.Reason}"),
            .. IndexFaults.Select(f => $"index {PrintableText.OneLine(f.Index)} of {PrintableText.OneLine(f.Table)}: {f.Reason}")])}",
        (false, true) when AllowEmpty => "PASS: nothing in scope (no table in the reference or now), allowed as asked",
        (false, true) => $"{NotChecked}: no table in the reference or now",
        _ => $"PASS: {Reference.AllTables.Count} {Current.TableWord}(s) identical{DatabaseCount}"
            + (Current.Indexes is { } indexes ? $", {indexes.Checked} B-tree index(es) match their rows" : ""),
    };
}

public static class DbChecksums
{
    private const string RecordMethod = "record";
    private const string TextMethod = "text";

    /// <summary>
    /// Checksums the tables in scope: <paramref name="tables"/> (schema-qualified or in the search path), or by default every
    /// ordinary table outside the system schemas except DrTools' own (drtools_*), which the drill itself writes to.
    /// </summary>
    public static Task<DbChecksum> TakeAsync(DbMember member, IReadOnlyList<string>? tables, CancellationToken cancellationToken) =>
        TakeAsync(member, tables, null, cancellationToken);

    /// <param name="like">A checksum to compute this one like: its tables, each hashed by the same method.</param>
    private static async Task<DbChecksum> TakeAsync(DbMember member, IReadOnlyList<string>? tables, DbChecksum? like,
        CancellationToken cancellationToken)
    {
        await using var snapshot = new ChecksumSnapshot(member, await member.OpenAsync(cancellationToken), tables, like);
        await snapshot.PinAsync(cancellationToken);
        return await snapshot.ComputeAsync(cancellationToken);
    }

    /// <summary>
    /// Connects now; <see cref="ChecksumSnapshot.PinAsync"/> fixes the snapshot later in one round trip, and
    /// <see cref="ChecksumSnapshot.ComputeAsync"/> reads it after that. A drill pins a standby's data just before its
    /// promotion and reads it after, so the check costs the outage no time.
    /// </summary>
    public static async Task<ChecksumSnapshot> ConnectAsync(DbMember member, IReadOnlyList<string>? tables,
        CancellationToken cancellationToken) =>
        new(member, await member.OpenAsync(cancellationToken), tables, like: null);

    public sealed class ChecksumSnapshot : IAsyncDisposable
    {
        private readonly DbMember _member;
        private readonly NpgsqlConnection _connection;
        private readonly IReadOnlyList<string>? _tables;
        /// <summary>A reference's methods by table: set when the tables are a reference's, found by the names it recorded.</summary>
        private readonly IReadOnlyDictionary<string, string>? _methods;
        private NpgsqlTransaction? _transaction;
        private string _lsn = "";
        private string _database = "";
        private DateTimeOffset _takenAt;

        internal ChecksumSnapshot(DbMember member, NpgsqlConnection connection, IReadOnlyList<string>? tables, DbChecksum? like) =>
            (_member, _connection, _tables, _methods) = (member, connection, like?.Tables.Select(t => t.Table).ToList() ?? tables,
                like?.Tables.ToDictionary(t => t.Table, t => t.Method ?? TextMethod));

        public async Task PinAsync(CancellationToken cancellationToken)
        {
            try
            {
                _transaction = await _connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
                // The first statement of a REPEATABLE READ transaction fixes its snapshot.
                await using var position = new NpgsqlCommand("select case when pg_is_in_recovery() then pg_last_wal_replay_lsn() else "
                    + "pg_current_wal_lsn() end::text, current_database()", _connection);
                await using var reader = await position.ExecuteReaderAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                (_lsn, _database, _takenAt) = (reader.GetString(0), reader.GetString(1), DateTimeOffset.UtcNow);
            }
            catch (NpgsqlException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw _member.Describe(e);
            }
        }

        public async Task<DbChecksum> ComputeAsync(CancellationToken cancellationToken)
        {
            if (_transaction is null) throw new InvalidOperationException("PinAsync first.");
            try
            {
                var results = new List<TableChecksum>();
                var tables = _methods is not null ? await ReferencedTablesAsync(_connection, _tables!, cancellationToken)
                    : await ResolveTablesAsync(_connection, _tables, cancellationToken);
                await TableLocks.SetWaitAsync(_connection, cancellationToken);
                foreach (var (qualified, quoted) in tables)
                {
                    try
                    {
                        results.Add(await ChecksumAsync(qualified, quoted, _methods?.GetValueOrDefault(qualified), cancellationToken));
                    }
                    catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
                    {
                        throw await TableLocks.WaitedAsync(_member, qualified, quoted, TableLocks.Wait(_connection), cancellationToken);
                    }
                }
                return new DbChecksum(_member.Display, _database, _takenAt, _lsn, results);
            }
            catch (NpgsqlException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw _member.Describe(e);
            }
        }

        /// <summary>
        /// Hashes each row as a record (about twice as fast as through its text form); a table with a column type that
        /// has no extended hash function (json, point, …) is hashed through text instead, inside a savepoint so that the
        /// snapshot survives the refusal. With a method given (that of a reference), only that one is used.
        /// </summary>
        private async Task<TableChecksum> ChecksumAsync(string qualified, string quoted, string? method,
            CancellationToken cancellationToken)
        {
            if (method is null or RecordMethod)
            {
                if (method is null)
                {
                    await using var savepoint = new NpgsqlCommand("savepoint drtools_checksum", _connection);
                    await savepoint.ExecuteNonQueryAsync(cancellationToken);
                }
                try
                {
                    return await SumAsync(qualified, $"hash_record_extended(t, 0)", RecordMethod, cancellationToken);
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedFunction && method is null)
                {
                    await using var rollback = new NpgsqlCommand("rollback to savepoint drtools_checksum", _connection);
                    await rollback.ExecuteNonQueryAsync(cancellationToken);
                }
            }
            return await SumAsync(qualified, "hashtextextended(t::text, 0)", TextMethod, cancellationToken);

            async Task<TableChecksum> SumAsync(string table, string hash, string name, CancellationToken token)
            {
                await using var sum = new NpgsqlCommand($"select count(*), coalesce(sum({hash}), 0) from {quoted} t", _connection);
                await using var reader = await sum.ExecuteReaderAsync(token);
                await reader.ReadAsync(token);
                return new TableChecksum(table, reader.GetInt64(0), reader.GetDecimal(1)) { Method = name };
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_transaction is not null) await _transaction.DisposeAsync();
            await _connection.DisposeAsync();
        }
    }

    /// <summary>
    /// A reference's tables as they are now, found by the names it recorded (schema.table as stored, not parsed as SQL: a
    /// name with capitals or a dot read through to_regclass is another table or an error). One missing now is left out:
    /// the comparison names it missing.
    /// </summary>
    /// <summary>
    /// A table's name in checksums, in SQL over n (pg_namespace) and c (pg_class): schema.table, each part quoted only
    /// when it holds a dot or begins with a double quote. "a.b".t and a."b.t" are two tables; as a.b.t they were one
    /// name, and reading them stopped with a duplicate.
    /// </summary>
    internal static readonly string TableNameSql = $"{NamePartSql("n.nspname")} || '.' || {NamePartSql("c.relname")}";

    private static string NamePartSql(string column) =>
        $"(case when strpos({column}, '.') > 0 or left({column}, 1) = '\"' then quote_ident({column}) else {column} end)";

    private static async Task<List<(string Qualified, string Quoted)>> ReferencedTablesAsync(NpgsqlConnection connection,
        IReadOnlyList<string> tables, CancellationToken cancellationToken)
    {
        await using var find = new NpgsqlCommand($"""
            select {TableNameSql}, quote_ident(n.nspname) || '.' || quote_ident(c.relname)
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind in ('r', 'p') and {TableNameSql} = any(@names)
            """, connection);
        find.Parameters.AddWithValue("names", tables.ToArray());
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var reader = await find.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken)) found[reader.GetString(0)] = reader.GetString(1);
        }
        return [.. tables.Where(found.ContainsKey).Select(t => (t, found[t]))];
    }

    private static async Task<List<(string Qualified, string Quoted)>> ResolveTablesAsync(NpgsqlConnection connection,
        IReadOnlyList<string>? tables, CancellationToken cancellationToken)
    {
        var names = new List<(string, string)>();
        if (tables is { Count: > 0 })
        {
            foreach (var table in tables)
            {
                await using var resolve = new NpgsqlCommand($"select {TableNameSql}, quote_ident(n.nspname) || '.' || "
                    + "quote_ident(c.relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = "
                    + "to_regclass(@name) and c.relkind in ('r', 'p')", connection);
                resolve.Parameters.AddWithValue("name", table);
                await using var reader = await resolve.ExecuteReaderAsync(cancellationToken);
                if (!await reader.ReadAsync(cancellationToken)) throw new DrToolsException($"table '{table}' does not exist in database "
                    + $"{connection.Database}.", DrErrorKind.InvalidArgument);
                names.Add((reader.GetString(0), reader.GetString(1)));
            }
            return names;
        }
        await using var all = new NpgsqlCommand($"""
            select {TableNameSql}, quote_ident(n.nspname) || '.' || quote_ident(c.relname)
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind in ('r', 'p') and not c.relispartition and c.relpersistence = 'p'
              and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%' and n.nspname not like 'pg_temp%'
              and c.relname not like 'drtools\_%'
            order by 1
            """, connection);
        await using (var reader = await all.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken)) names.Add((reader.GetString(0), reader.GetString(1)));
        }
        return names;
    }

    /// <summary>
    /// Checksums the member's own database and every other database but the templates, each in its own snapshot (exact
    /// across databases only while nothing is written: a standby with replay paused, a restored instance).
    /// </summary>
    public static async Task<DbChecksum> TakeEveryDatabaseAsync(DbMember member, CancellationToken cancellationToken) =>
        await TakeEveryDatabaseAsync(member, null, cancellationToken);

    /// <param name="like">A reference to compute this one like: its databases' tables each by the same method.</param>
    private static async Task<DbChecksum> TakeEveryDatabaseAsync(DbMember member, DbChecksum? like, CancellationToken cancellationToken)
    {
        var own = await TakeAsync(member, null, like, cancellationToken);
        var databases = new List<string>();
        await using (var connection = await member.OpenAsync(cancellationToken))
        {
            await using var list = new NpgsqlCommand(
                "select datname from pg_database where not datistemplate and datallowconn and datname <> current_database() order by 1",
                connection);
            await using var reader = await list.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) databases.Add(reader.GetString(0));
        }
        var others = new List<DbChecksum>();
        foreach (var database in databases)
        {
            var reference = like?.OtherDatabases?.FirstOrDefault(d => d.Database == database);
            others.Add(await TakeAsync(member.InDatabase(database), null, reference, cancellationToken));
        }
        return own with { OtherDatabases = others };
    }

    /// <summary>Checksums one member of a cluster: the one named, or the primary.</summary>
    public static async Task<DbChecksum> TakeAsync(DbTarget target, string? member, IReadOnlyList<string>? tables,
        CancellationToken cancellationToken)
        => await TakeAsync(await Cluster.ClusterInspector.MemberOrPrimaryAsync(target, member, "checksum", cancellationToken), tables,
            cancellationToken);

    /// <summary>Checksums the same tables as the reference now, and compares.</summary>
    public static async Task<ChecksumComparison> CompareAsync(
        DbChecksum reference, DbTarget target, string? member, CancellationToken cancellationToken)
    {
        var server = await Cluster.ClusterInspector.MemberOrPrimaryAsync(target, member, "checksum", cancellationToken);
        // A reference of every database is compared with every database now: one added or lost is a difference too.
        return Compare(reference, reference.OtherDatabases is null
            ? await TakeAsync(server, null, reference, cancellationToken)
            : await TakeEveryDatabaseAsync(server, reference, cancellationToken));
    }

    /// <param name="allowEmpty">Nothing in scope passes (the user asked for it); otherwise it is "not checked".</param>
    public static ChecksumComparison Compare(DbChecksum reference, DbChecksum current, bool allowEmpty = false)
    {
        var now = current.AllTables.ToDictionary(t => t.Table);
        var differences = new List<TableDifference>();
        foreach (var table in reference.AllTables)
        {
            var expired = table.FirstExpiry is { } first && first <= current.TakenAt
                ? " (keys of the reference expire from "
                  + first.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture)
                  + " UTC, before this check: one that expired since is not told from one lost)"
                : "";
            if (!now.TryGetValue(table.Table, out var found))
            {
                differences.Add(new TableDifference(table.Table, table.Rows, null, "missing" + expired));
            }
            else if (found.Rows != table.Rows)
            {
                differences.Add(new TableDifference(table.Table, table.Rows, found.Rows,
                    $"{table.Rows} {current.RowWord}s before, {found.Rows} after{expired}"));
            }
            else if (found.Checksum != table.Checksum)
            {
                // A reference hashed another way (an older DrTools' Redis digests) cannot vouch for the content: say so.
                var reason = table.Method is { } before && found.Method is { } after && before != after
                    ? $"same {found.Rows} {current.RowWord}s, hashed by {before} in the reference and {after} now: take a new reference"
                    : $"same {found.Rows} {current.RowWord}s, different content";
                differences.Add(new TableDifference(table.Table, table.Rows, found.Rows, reason));
            }
            if (table.Definition is { } was && found?.Definition is { } @is && TableDefinitions.Differences(was, @is) is { } changed)
            {
                var content = differences.Count > 0 && differences[^1].Table == table.Table ? differences[^1] : null;
                if (content is not null) differences.RemoveAt(differences.Count - 1);
                var reason = $"definition differs: {changed}";
                differences.Add(new TableDifference(table.Table, table.Rows, found.Rows,
                    content is null ? reason : $"{content.Reason}; {reason}"));
            }
        }
        var referenced = reference.AllTables.Select(t => t.Table).ToHashSet();
        differences.AddRange(current.AllTables.Where(t => !referenced.Contains(t.Table))
            .Select(t => new TableDifference(t.Table, null, t.Rows, "not in the reference")));
        return new ChecksumComparison(reference, current, differences) { AllowEmpty = allowEmpty };
    }
}
