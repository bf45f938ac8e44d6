using System.Globalization;
using DrTools.Core.Integrity;
using MySqlConnector;

namespace DrTools.Core.MariaDb;

/// <summary>
/// Row counts and order-independent content checksums of a MariaDB server's tables, all read in one consistent
/// snapshot. Rows are hashed from their values (QUOTE of every column, MD5), not with CHECKSUM TABLE, whose result
/// depends on the row format: a dump restored elsewhere must checksum the same as its source. The rows are read from the
/// table itself (USE INDEX ()), never from a secondary index that covers every column: that would leave the rows unread.
/// <see cref="MariaDbTableCheck"/> compares each secondary index with them.
/// </summary>
public static class MariaDbChecksum
{
    public const string Method = "per table: its definition (columns: type, null, default, extra, collation; indexes), "
        + "count(*) and the sum of the first 60 bits of md5(concat_ws('#', quote(column) …)) of every row, read from the "
        + "clustered index (USE INDEX ()) — order-independent — over all tables read in one START TRANSACTION WITH CONSISTENT SNAPSHOT";

    private static readonly string[] SystemSchemas = ["mysql", "information_schema", "performance_schema", "sys", MariaDbCluster.Schema];

    /// <summary>The schemas no checksum or check reads, as a SQL list ('mysql', …).</summary>
    internal static string SystemSchemaList => string.Join(", ", SystemSchemas.Select(s => $"'{s}'"));

    /// <param name="scope">Tables as schema.table (or schemas as schema.*); default every base table outside the system schemas and
    /// DrTools' own.</param>
    public static async Task<DbChecksum> TakeAsync(MariaDbMember member, IReadOnlyList<string>? scope, CancellationToken cancellationToken)
    {
        var compute = await PinAsync(member, scope, cancellationToken);
        return await compute(cancellationToken);
    }

    /// <summary>
    /// Fixes the snapshot now (one round trip) and returns what reads it later: a drill pins a replica's data just
    /// before its promotion and checksums it after, so the check costs the outage no time.
    /// </summary>
    public static async Task<Func<CancellationToken, Task<DbChecksum>>> PinAsync(MariaDbMember member, IReadOnlyList<string>? scope,
        CancellationToken cancellationToken)
    {
        var connection = await member.OpenAsync(cancellationToken);
        try
        {
            await Execute(connection, "set session transaction isolation level repeatable read", cancellationToken);
            await Execute(connection, "start transaction with consistent snapshot", cancellationToken);
            var position = Convert.ToString(await Scalar(connection, "select @@gtid_current_pos", cancellationToken),
                CultureInfo.InvariantCulture) ?? "";
            return async token =>
            {
                await using (connection) return await ComputeAsync(member, connection, position, scope, token);
            };
        }
        catch (Exception e)
        {
            await connection.DisposeAsync();
            if (e is MySqlException && !cancellationToken.IsCancellationRequested) throw member.Describe(e);
            throw;
        }
    }

    private static async Task<DbChecksum> ComputeAsync(MariaDbMember member, MySqlConnection connection, string position,
        IReadOnlyList<string>? scope, CancellationToken cancellationToken)
    {
        try
        {
            var columns = new List<(string Schema, string Table, string Column)>();
            await using (var list = new MySqlCommand(
                "select c.table_schema, c.table_name, c.column_name from information_schema.columns c join information_schema.tables t on "
                    + "t.table_schema = c.table_schema and t.table_name = c.table_name " +
                "where t.table_type = 'BASE TABLE' and c.table_schema not in (" + SystemSchemaList + ") "
                + "order by c.table_schema, c.table_name, c.ordinal_position", connection))
            await using (var reader = await list.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken)) columns.Add((reader.GetString(0), reader.GetString(1),
                    reader.GetString(2)));
            }
            var tables = columns.GroupBy(c => Key(c.Schema, c.Table)).Where(t => InScope(t.Key, scope)).ToList();
            if (scope is not null && scope.FirstOrDefault(s => !s.EndsWith(".*", StringComparison.Ordinal)
                && tables.All(t => t.Key != s)) is { } missing)
            {
                throw new DrToolsException($"{member.Display}: table '{missing}' does not exist (give tables as schema.table).",
                    DrErrorKind.InvalidArgument);
            }
            var definitions = await MariaDbDefinitions.ReadAsync(connection, cancellationToken);
            var checksums = new List<TableChecksum>();
            foreach (var table in tables)
            {
                var (schema, name) = (table.First().Schema, table.First().Table);
                await using var sum = new MySqlCommand(
                    $"select count(*), {HashSum(table.Select(c => c.Column))} from {Quote(schema)}.{Quote(name)} use index ()", connection);
                try
                {
                    await using var reader = await sum.ExecuteReaderAsync(cancellationToken);
                    await reader.ReadAsync(cancellationToken);
                    checksums.Add(new TableChecksum(table.Key, reader.GetInt64(0), reader.GetDecimal(1))
                    {
                        Method = "md5-row",
                        Definition = definitions.GetValueOrDefault(table.Key),
                    });
                }
                catch (MySqlException e) when (!cancellationToken.IsCancellationRequested)
                {
                    // "Tablespace is missing for a table" names none: say which table could not be read.
                    var described = member.Describe(e);
                    throw new DrToolsException($"{described.Message} (reading {Quote(schema)}.{Quote(name)})", described.Kind, e);
                }
            }
            await Execute(connection, "commit", cancellationToken);
            return new DbChecksum(member.Display, "(all schemas)", DateTimeOffset.UtcNow, position, checksums) { HowMeasured = Method };
        }
        catch (MySqlException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw member.Describe(e);
        }
    }

    private static bool InScope(string table, IReadOnlyList<string>? scope) =>
        scope is null || scope.Any(s => s == table || (s.EndsWith(".*", StringComparison.Ordinal) && table.StartsWith(s[..^1],
            StringComparison.Ordinal)));

    /// <summary>The order-independent sum of the rows' hashes over <paramref name="columns"/>: what <see cref="Method"/> says.</summary>
    internal static string HashSum(IEnumerable<string> columns) =>
        $"coalesce(sum(cast(conv(substring(md5(concat_ws('#', {string.Join(", ", columns.Select(c => $"quote({Quote(c)})"))})), "
        + "1, 15), 16, 10) as unsigned)), 0)";

    internal static string Quote(string identifier) => $"`{identifier.Replace("`", "``")}`";

    /// <summary>
    /// A table's name in checksums: schema.table, each part backquoted only when it holds a dot or begins with a backquote.
    /// `a.b`.`t` and `a`.`b.t` are two tables; as a.b.t they were one name, and a change to one passed as the other.
    /// </summary>
    internal static string Key(string schema, string table) => $"{KeyPart(schema)}.{KeyPart(table)}";

    internal static string KeyPart(string name) => name.Contains('.') || name.StartsWith('`') ? Quote(name) : name;

    /// <summary><see cref="Key"/> in SQL over information_schema's table_schema and table_name.</summary>
    internal static readonly string KeySql = $"concat({KeyPartSql("table_schema")}, '.', {KeyPartSql("table_name")})";

    private static string KeyPartSql(string column) =>
        $"if(locate('.', {column}) > 0 or left({column}, 1) = '`', concat('`', replace({column}, '`', '``'), '`'), {column})";

    private static async Task Execute(MySqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<object?> Scalar(MySqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(sql, connection);
        return await command.ExecuteScalarAsync(cancellationToken);
    }
}
