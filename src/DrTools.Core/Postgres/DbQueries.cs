using DrTools.Core.Cluster;
using Npgsql;

namespace DrTools.Core.Postgres;

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
