using DrTools.Core.Postgres;
using Npgsql;

namespace DrTools.Core.Integrity;

/// <summary>One table's row count and order-independent content checksum (sum of a 64-bit hash of every row's text form).</summary>
public sealed record TableChecksum(string Table, long Rows, decimal Checksum);

/// <summary>The tables in scope of a database at one snapshot, all read in one REPEATABLE READ transaction.</summary>
public sealed record DbChecksum(string Member, string Database, DateTimeOffset TakenAt, string Lsn, IReadOnlyList<TableChecksum> Tables)
{
    public const string Method = "per table: count(*) and sum(hashtextextended(row::text, 0)) — order-independent — over all tables read in one REPEATABLE READ snapshot";
}

public sealed record TableDifference(string Table, long? ReferenceRows, long? Rows, string Reason);

/// <summary>PASS when every table in the reference has the same count and checksum now, and no table in scope was added.</summary>
public sealed record ChecksumComparison(DbChecksum Reference, DbChecksum Current, IReadOnlyList<TableDifference> Differences)
{
    public bool Passed => Differences.Count == 0;
    public string Result => Passed ? "PASS" : "FAIL";
    public override string ToString() => Passed
        ? $"PASS: {Reference.Tables.Count} table(s) identical"
        : $"FAIL: {string.Join("; ", Differences.Select(d => $"{d.Table}: {d.Reason}"))}";
}

public static class DbChecksums
{
    /// <summary>
    /// Checksums the tables in scope: <paramref name="tables"/> (schema-qualified or in the search path), or by default every
    /// ordinary table outside the system schemas except DrTools' own (drtools_*), which the drill itself writes to.
    /// </summary>
    public static async Task<DbChecksum> TakeAsync(DbMember member, IReadOnlyList<string>? tables, CancellationToken cancellationToken)
    {
        await using var snapshot = await ConnectAsync(member, tables, cancellationToken);
        await snapshot.PinAsync(cancellationToken);
        return await snapshot.ComputeAsync(cancellationToken);
    }

    /// <summary>
    /// Connects now; <see cref="ChecksumSnapshot.PinAsync"/> fixes the snapshot later in one round trip, and
    /// <see cref="ChecksumSnapshot.ComputeAsync"/> reads it after that. A drill pins a standby's data just before its
    /// promotion and reads it after, so the check costs the outage no time.
    /// </summary>
    public static async Task<ChecksumSnapshot> ConnectAsync(DbMember member, IReadOnlyList<string>? tables, CancellationToken cancellationToken) =>
        new(member, await member.OpenAsync(cancellationToken), tables);

    public sealed class ChecksumSnapshot : IAsyncDisposable
    {
        private readonly DbMember _member;
        private readonly NpgsqlConnection _connection;
        private readonly IReadOnlyList<string>? _tables;
        private NpgsqlTransaction? _transaction;
        private string _lsn = "";
        private string _database = "";
        private DateTimeOffset _takenAt;

        internal ChecksumSnapshot(DbMember member, NpgsqlConnection connection, IReadOnlyList<string>? tables) =>
            (_member, _connection, _tables) = (member, connection, tables);

        public async Task PinAsync(CancellationToken cancellationToken)
        {
            try
            {
                _transaction = await _connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
                // The first statement of a REPEATABLE READ transaction fixes its snapshot.
                await using var position = new NpgsqlCommand("select case when pg_is_in_recovery() then pg_last_wal_replay_lsn() else pg_current_wal_lsn() end::text, current_database()", _connection);
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
                foreach (var (qualified, quoted) in await ResolveTablesAsync(_connection, _tables, cancellationToken))
                {
                    await using var sum = new NpgsqlCommand($"select count(*), coalesce(sum(hashtextextended(t::text, 0)), 0) from {quoted} t", _connection);
                    await using var reader = await sum.ExecuteReaderAsync(cancellationToken);
                    await reader.ReadAsync(cancellationToken);
                    results.Add(new TableChecksum(qualified, reader.GetInt64(0), reader.GetDecimal(1)));
                }
                return new DbChecksum(_member.Display, _database, _takenAt, _lsn, results);
            }
            catch (NpgsqlException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw _member.Describe(e);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_transaction is not null) await _transaction.DisposeAsync();
            await _connection.DisposeAsync();
        }
    }

    private static async Task<List<(string Qualified, string Quoted)>> ResolveTablesAsync(NpgsqlConnection connection, IReadOnlyList<string>? tables, CancellationToken cancellationToken)
    {
        var names = new List<(string, string)>();
        if (tables is { Count: > 0 })
        {
            foreach (var table in tables)
            {
                await using var resolve = new NpgsqlCommand("select n.nspname || '.' || c.relname, quote_ident(n.nspname) || '.' || quote_ident(c.relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = to_regclass(@name) and c.relkind in ('r', 'p')", connection);
                resolve.Parameters.AddWithValue("name", table);
                await using var reader = await resolve.ExecuteReaderAsync(cancellationToken);
                if (!await reader.ReadAsync(cancellationToken)) throw new DrToolsException($"table '{table}' does not exist in database {connection.Database}.", DrErrorKind.InvalidArgument);
                names.Add((reader.GetString(0), reader.GetString(1)));
            }
            return names;
        }
        await using var all = new NpgsqlCommand("""
            select n.nspname || '.' || c.relname, quote_ident(n.nspname) || '.' || quote_ident(c.relname)
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind in ('r', 'p') and not c.relispartition
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

    /// <summary>Checksums one member of a cluster: the one named, or the primary.</summary>
    public static async Task<DbChecksum> TakeAsync(DbTarget target, string? member, IReadOnlyList<string>? tables, CancellationToken cancellationToken)
        => await TakeAsync(await Cluster.ClusterInspector.MemberOrPrimaryAsync(target, member, "checksum", cancellationToken), tables, cancellationToken);

    /// <summary>Checksums the same tables as the reference now, and compares.</summary>
    public static async Task<ChecksumComparison> CompareAsync(DbChecksum reference, DbTarget target, string? member, CancellationToken cancellationToken) =>
        Compare(reference, await TakeAsync(target, member, reference.Tables.Select(t => t.Table).ToList(), cancellationToken));

    public static ChecksumComparison Compare(DbChecksum reference, DbChecksum current)
    {
        var now = current.Tables.ToDictionary(t => t.Table);
        var differences = new List<TableDifference>();
        foreach (var table in reference.Tables)
        {
            if (!now.TryGetValue(table.Table, out var found))
            {
                differences.Add(new TableDifference(table.Table, table.Rows, null, "missing"));
            }
            else if (found.Rows != table.Rows)
            {
                differences.Add(new TableDifference(table.Table, table.Rows, found.Rows, $"{table.Rows} rows before, {found.Rows} after"));
            }
            else if (found.Checksum != table.Checksum)
            {
                differences.Add(new TableDifference(table.Table, table.Rows, found.Rows, $"same {found.Rows} rows, different content"));
            }
        }
        var referenced = reference.Tables.Select(t => t.Table).ToHashSet();
        differences.AddRange(current.Tables.Where(t => !referenced.Contains(t.Table)).Select(t => new TableDifference(t.Table, null, t.Rows, "not in the reference")));
        return new ChecksumComparison(reference, current, differences);
    }
}
