using DrTools.Core.Postgres;
using Npgsql;

namespace DrTools.Core.Integrity;

/// <summary>
/// A row checksum reads the rows, never an index: an index whose entries are wrong (a torn page, a collation that
/// changed under it, an "immutable" function that is not) passes it, and queries through the index return wrong
/// answers. amcheck reads each index and looks up every row in it. Measured on a 100k-row table with three indexes:
/// about 150 ms, three times the table's own checksum; it takes the AccessShareLock any read takes.
/// </summary>
public static class IndexCheck
{
    public const string Method = "amcheck's bt_index_check(index, heapallindexed => true) on every valid B-tree index of the "
        + "checksummed tables of the member's own database: its structure, and every row of its table found in it";

    /// <summary>
    /// A checksum of <paramref name="cluster"/> (<see cref="Engines.IDrillTarget.TakeChecksumAsync"/>), its indexes checked when
    /// <paramref name="option"/> says how that was asked for ("--check-indexes", "-CheckIndexes", "checkIndexes"): refused
    /// before anything is read for any engine but PostgreSQL.
    /// </summary>
    public static async Task<DbChecksum> ChecksumAsync(Engines.IDrillTarget cluster, string? member, IReadOnlyList<string>? tables,
        string? option, CancellationToken cancellationToken)
    {
        var indexesOf = option is null ? null : Of(cluster, member, option);
        var taken = await cluster.TakeChecksumAsync(member, tables, cancellationToken);
        return indexesOf is null ? taken : taken with { Indexes = await indexesOf(taken, cancellationToken) };
    }

    /// <summary>
    /// <see cref="Engines.Stores.CompareChecksumAsync"/>, with the indexes of what is read now checked as above: a wrong one
    /// fails the comparison as a table that differs does.
    /// </summary>
    public static async Task<ChecksumComparison> CompareAsync(Engines.IDrillTarget cluster, DbChecksum reference, string? member,
        bool allowEmpty, string? option, CancellationToken cancellationToken)
    {
        var indexesOf = option is null ? null : Of(cluster, member, option);
        var comparison = await Engines.Stores.CompareChecksumAsync(cluster, reference, member, allowEmpty, cancellationToken);
        return indexesOf is null ? comparison
            : comparison with { Current = comparison.Current with { Indexes = await indexesOf(comparison.Current, cancellationToken) } };
    }

    /// <summary>
    /// The index check of the member a checksum of <paramref name="cluster"/> read, its own database's tables, refused up
    /// front for any engine but PostgreSQL. <paramref name="option"/> is how the caller asked for it, named when it cannot run.
    /// </summary>
    private static Func<DbChecksum, CancellationToken, Task<IndexCheckResult>> Of(Engines.IDrillTarget cluster, string? member,
        string option)
    {
        if (cluster is not DbTarget target)
        {
            var why = cluster.Engine == Engines.StoreEngines.MariaDb ? "a MariaDB backup verify checks each index against its rows"
                : $"{cluster.Engine} has no indexes of this kind";
            throw new DrToolsException($"{option}: PostgreSQL only ({why}).", DrErrorKind.InvalidArgument);
        }
        return async (checksum, token) => await RunAsync(
            await Cluster.ClusterInspector.MemberOrPrimaryAsync(target, member, "checksum", token),
            [.. checksum.Tables.Select(t => t.Table)], option, token);
    }

    /// <param name="tables">schema.table names as the checksum names them.</param>
    /// <param name="option">How the check was asked for, named in the way out when amcheck is missing.</param>
    public static async Task<IndexCheckResult> RunAsync(DbMember member, IReadOnlyList<string> tables, string option,
        CancellationToken cancellationToken)
    {
        var connection = await member.OpenAsync(cancellationToken);
        try
        {
            await using (var installed = new NpgsqlCommand(
                             "select current_database(), exists (select 1 from pg_extension where extname = 'amcheck')", connection))
            await using (var reader = await installed.ExecuteReaderAsync(cancellationToken))
            {
                await reader.ReadAsync(cancellationToken);
                if (!reader.GetBoolean(1))
                {
                    throw new DrToolsException($"{member.Display}: amcheck is not installed in database '{reader.GetString(0)}', so its "
                        + "indexes cannot be checked: run 'create extension amcheck' there as a superuser (on the primary), "
                        + $"or leave {option} out.", DrErrorKind.InvalidOperation);
                }
            }
            var indexes = new List<(string Table, string Index, uint Oid)>();
            // A partitioned table's rows are in its partitions, and so are its indexes' entries: every partition's own
            // B-tree indexes are checked (amcheck takes no partitioned index itself).
            await using (var list = new NpgsqlCommand($"""
                with scope as (
                    select c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace
                    where {DbChecksums.TableNameSql} = any(@tables)),
                tree as (select oid as relid from scope union select p.relid from scope, pg_partition_tree(scope.oid) p)
                select n.nspname || '.' || t.relname, n.nspname || '.' || c.relname, c.oid from pg_index i
                join pg_class c on c.oid = i.indexrelid join pg_class t on t.oid = i.indrelid
                join pg_namespace n on n.oid = t.relnamespace join pg_am a on a.oid = c.relam
                where a.amname = 'btree' and i.indisvalid and c.relkind = 'i' and t.oid in (select relid from tree)
                order by 1, 2
                """, connection))
            {
                list.Parameters.AddWithValue("tables", tables.ToArray());
                await using var reader = await list.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    indexes.Add((reader.GetString(0), reader.GetString(1), reader.GetFieldValue<uint>(2)));
                }
            }
            var faults = new List<IndexFault>();
            foreach (var (table, index, oid) in indexes)
            {
                await using var check = new NpgsqlCommand("select bt_index_check(@index::oid::regclass, true)", connection);
                check.Parameters.AddWithValue("index", (long)oid);
                try
                {
                    await check.ExecuteNonQueryAsync(cancellationToken);
                }
                catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.IndexCorrupted or PostgresErrorCodes.DataCorrupted)
                {
                    faults.Add(new IndexFault(table, index, Secrets.Redaction.Text(e.MessageText)));
                    // The connection is left closed after such an error (seen with Npgsql): the next index gets a new one.
                    if (connection.State != System.Data.ConnectionState.Open)
                    {
                        await connection.DisposeAsync();
                        connection = await member.OpenAsync(cancellationToken);
                    }
                }
            }
            return new IndexCheckResult(indexes.Count, faults);
        }
        catch (NpgsqlException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw member.Describe(e);
        }
        finally
        {
            await connection.DisposeAsync();
        }
    }
}
