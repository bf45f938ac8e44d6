using MySqlConnector;

namespace DrTools.Core.MariaDb;

/// <summary>
/// Each table's definition as the server holds it: its columns (type, nullability, default, extra, collation) and its
/// indexes (kind and columns), one line each, keyed by what they name. A reference holding them catches a restore whose
/// schema differs with the same rows: a column's type or default edited in a dump, an index dropped.
/// </summary>
internal static class MariaDbDefinitions
{
    /// <summary>"schema.table" → its definition lines ("column `id`: int(11) not null …", "index `tag`: …"), newline-separated.</summary>
    public static async Task<IReadOnlyDictionary<string, string>> ReadAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        var lines = new List<(string Table, string Line)>();
        var outside = $"table_schema not in ({MariaDbChecksum.SystemSchemaList})";
        await ReadAsync(connection, $"select {MariaDbChecksum.KeySql}, "
            + "concat('column ', quote(column_name), ': #', ordinal_position, ' ', column_type, "
            + "if(is_nullable = 'YES', ' null', ' not null'), ' default ', coalesce(column_default, 'none'), "
            + "if(extra = '', '', concat(' ', extra)), coalesce(concat(' collate ', collation_name), '')) "
            + $"from information_schema.columns where {outside} order by table_schema, table_name, ordinal_position",
            lines, cancellationToken);
        await ReadAsync(connection, $"select {MariaDbChecksum.KeySql}, concat('index ', quote(index_name), ': ', "
            + "if(non_unique = 0, 'unique ', ''), lower(index_type), ' (', group_concat(concat(quote(column_name), "
            + "coalesce(concat('(', sub_part, ')'), ''), if(collation = 'D', ' desc', '')) order by seq_in_index separator ', '), ')') "
            + $"from information_schema.statistics where {outside} group by table_schema, table_name, index_name "
            + "order by table_schema, table_name, index_name", lines, cancellationToken);
        return lines.GroupBy(l => l.Table, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => string.Join('\n', g.Select(l => l.Line)), StringComparer.Ordinal);
    }

    private static async Task ReadAsync(MySqlConnection connection, string sql, List<(string, string)> lines,
        CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) lines.Add((reader.GetString(0), reader.GetString(1)));
    }
}
