using DrTools.Core.Postgres;
using Npgsql;

namespace DrTools.Core.Integrity;

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
