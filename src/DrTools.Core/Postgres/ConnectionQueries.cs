using Npgsql;

namespace DrTools.Core.Postgres;

internal static class ConnectionQueries
{
    /// <summary>Runs a query on an open connection and reads its first row.</summary>
    public static async Task<T> ReadFirstAsync<T>(this NpgsqlConnection connection, string sql, Func<NpgsqlDataReader, T> read,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return read(reader);
    }
}
