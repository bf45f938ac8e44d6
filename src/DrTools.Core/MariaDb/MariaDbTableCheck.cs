using System.Globalization;
using MySqlConnector;

namespace DrTools.Core.MariaDb;

/// <summary>
/// What a row checksum cannot see, since it reads each table through its clustered index only: damage to a secondary
/// index. Each secondary index's entries — its columns and the primary key, read through the index alone — are hashed
/// against the same columns of the rows, and every base table gets CHECK TABLE (each index's structure and entry count).
/// That hash is what CHECK TABLE … EXTENDED does record by record, but by bytes: EXTENDED compares by collation, so a
/// record whose case was changed is "equal" to its row, yet an index-only query answers with it. EXTENDED (about 3.5
/// times the time of CHECK TABLE) is kept for tables with a prefix index, which cannot be read alone.
/// </summary>
public static class MariaDbTableCheck
{
    public const string Method = "CHECK TABLE of every table (EXTENDED where an index holds a column prefix), then each "
        + "secondary B-tree index read alone (FORCE INDEX, its columns and the primary key, count and md5 sum) against the same "
        + "columns read from the rows (USE INDEX ())";

    private sealed record Index(string Schema, string Table, string Name, IReadOnlyList<string> Columns);

    /// <summary>The first fault found as "schema.table: what", or null when every table and index holds.</summary>
    public static async Task<string?> CheckAsync(MariaDbMember member, CancellationToken cancellationToken)
    {
        await using var connection = await member.OpenAsync(cancellationToken);
        try
        {
            var tables = await ListAsync(connection, "select table_schema, table_name from information_schema.tables "
                + $"where table_type = 'BASE TABLE' and table_schema not in ({MariaDbChecksum.SystemSchemaList}) order by 1, 2",
                r => (Schema: r.GetString(0), Table: r.GetString(1)), cancellationToken);
            if (tables.Count == 0) return null;
            var (indexes, prefixed) = await IndexesAsync(connection, cancellationToken);
            var faults = new List<(string Table, string Type, string Text)>();
            foreach (var extended in new[] { false, true })
            {
                var list = tables.Where(t => prefixed.Contains(t) == extended)
                    .Select(t => $"{MariaDbChecksum.Quote(t.Schema)}.{MariaDbChecksum.Quote(t.Table)}").ToList();
                if (list.Count == 0) continue;
                faults.AddRange(await ListAsync(connection, $"check table {string.Join(", ", list)}{(extended ? " extended" : "")}",
                    r => (Table: r.GetString(0), Type: r.GetString(2), Text: r.GetString(3)), cancellationToken));
            }
            // A table's verdict is its last row ("status OK"); the rows before it name what was found.
            var broken = faults.GroupBy(f => f.Table).FirstOrDefault(g => g.Last() is not { Type: "status", Text: "OK" });
            if (broken is not null)
            {
                var said = broken.Where(f => f.Type != "note").Select(f => $"{f.Type}: {f.Text}");
                return $"{broken.Key}: CHECK TABLE: {string.Join(" | ", said.Distinct().Take(3))}";
            }
            foreach (var table in indexes.GroupBy(i => (i.Schema, i.Table)))
            {
                if (await CompareAsync(connection, table.ToList(), cancellationToken) is { } fault) return fault;
            }
            return null;
        }
        catch (MySqlException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw member.Describe(e);
        }
    }

    /// <summary>
    /// Secondary B-tree indexes over whole columns, each with the primary key's columns appended (an InnoDB secondary
    /// record holds them). A prefix index (col(10)) is left out: reading it needs the row, so it cannot be read alone; its
    /// table is among those returned as prefixed.
    /// </summary>
    private static async Task<(List<Index> Indexes, HashSet<(string Schema, string Table)> Prefixed)> IndexesAsync(
        MySqlConnection connection, CancellationToken cancellationToken)
    {
        var parts = await ListAsync(connection, "select table_schema, table_name, index_name, column_name, sub_part is not null "
            + "from information_schema.statistics where index_type = 'BTREE' and column_name is not null "
            + $"and table_schema not in ({MariaDbChecksum.SystemSchemaList}) order by 1, 2, 3, seq_in_index",
            r => (Schema: r.GetString(0), Table: r.GetString(1), Index: r.GetString(2), Column: r.GetString(3), Prefix: r.GetBoolean(4)),
            cancellationToken);
        var indexes = new List<Index>();
        foreach (var table in parts.GroupBy(p => (p.Schema, p.Table)))
        {
            var primary = table.Where(p => p.Index == "PRIMARY").Select(p => p.Column).ToList();
            indexes.AddRange(table.Where(p => p.Index != "PRIMARY").GroupBy(p => p.Index).Where(i => !i.Any(p => p.Prefix))
                .Select(i => new Index(table.Key.Schema, table.Key.Table, i.Key, i.Select(p => p.Column).Union(primary).ToList())));
        }
        return (indexes, parts.Where(p => p.Prefix).Select(p => (p.Schema, p.Table)).ToHashSet());
    }

    /// <summary>One scan of the rows for all of a table's indexes, then one scan of each index.</summary>
    private static async Task<string?> CompareAsync(MySqlConnection connection, IReadOnlyList<Index> indexes,
        CancellationToken cancellationToken)
    {
        var table = $"{MariaDbChecksum.Quote(indexes[0].Schema)}.{MariaDbChecksum.Quote(indexes[0].Table)}";
        var fromRows = await SumsAsync(connection, $"select count(*), {string.Join(", ", indexes.Select(Sum))} from {table} use index ()",
            indexes.Count, cancellationToken);
        for (var i = 0; i < indexes.Count; i++)
        {
            var index = indexes[i];
            var alone = $"select count(*), {Sum(index)} from {table} force index ({MariaDbChecksum.Quote(index.Name)})";
            var read = await SumsAsync(connection, alone, 1, cancellationToken);
            if (read[0] != fromRows[0])
            {
                return $"{index.Schema}.{index.Table}: index {index.Name} holds {read[0]} entries, the table {fromRows[0]} rows";
            }
            if (read[1] != fromRows[i + 1])
            {
                return $"{index.Schema}.{index.Table}: index {index.Name} differs from the rows it indexes "
                    + $"(same {read[0]} entries, different content in ({string.Join(", ", index.Columns)}))";
            }
        }
        return null;
    }

    private static string Sum(Index index) => MariaDbChecksum.HashSum(index.Columns);

    private static async Task<decimal[]> SumsAsync(MySqlConnection connection, string sql, int sums, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return [.. Enumerable.Range(0, sums + 1).Select(i => Convert.ToDecimal(reader.GetValue(i), CultureInfo.InvariantCulture))];
    }

    private static async Task<List<T>> ListAsync<T>(MySqlConnection connection, string sql, Func<MySqlDataReader, T> row,
        CancellationToken cancellationToken)
    {
        var rows = new List<T>();
        await using var command = new MySqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) rows.Add(row(reader));
        return rows;
    }
}
