using DrTools.Core.Cluster;
using Npgsql;

namespace DrTools.Core.Postgres;

/// <summary>What a query returned: its rows (column name to value), the rows it changed, and its first value.</summary>
public sealed record DbQueryResult(string Member, string Query, int RowsAffected, IReadOnlyList<IReadOnlyDictionary<string, object?>> Rows,
    TimeSpan Duration)
{
    /// <summary>The first column of the first row: what a runbook usually saves (a count, a timestamp, an LSN).</summary>
    public object? Value => Rows.Count > 0 && Rows[0].Count > 0 ? Rows[0].First().Value : null;

    /// <remarks>A statement that changes no rows by nature (CREATE TABLE, SET …) has no count: Npgsql reports -1, never shown.</remarks>
    public override string ToString() => Rows.Count > 0 ? $"{Rows.Count} row(s) from {Member}; first value {Value ?? "null"}"
        : RowsAffected >= 0 ? $"{RowsAffected} row(s) affected on {Member}"
        : $"done on {Member} (a statement without a row count)";
}

/// <summary>Runs SQL on a cluster member: the setup, data and marker statements of a drill.</summary>
public static class DbQueries
{
    /// <summary>Runs the query on the named member (default the primary) and returns every row it produced.</summary>
    public static async Task<DbQueryResult> InvokeAsync(DbTarget target, string query, string? member, CancellationToken cancellationToken)
    {
        var server = await ClusterInspector.MemberOrPrimaryAsync(target, member, "query", cancellationToken);
        var clock = new MonotonicClock();
        await using var connection = await server.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(query, connection) { CommandTimeout = 0 };
        var rows = new List<IReadOnlyDictionary<string, object?>>();
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            do
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var row = new Dictionary<string, object?>();
                    for (var i = 0; i < reader.FieldCount; i++) row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                    rows.Add(row);
                }
            }
            while (await reader.NextResultAsync(cancellationToken));
            return new DbQueryResult(server.Display, query, reader.RecordsAffected, rows, clock.Elapsed);
        }
        catch (PostgresException e)
        {
            throw new DrToolsException($"query on {server.Display} failed: "
                + $"{e.MessageText}{(e.Position > 0 ? $" (at character {e.Position})" : "")}", DrErrorKind.InvalidOperation, e);
        }
        catch (NpgsqlException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw server.Describe(e);
        }
    }
}
