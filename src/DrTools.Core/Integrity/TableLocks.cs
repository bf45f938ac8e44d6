using DrTools.Core.Postgres;
using Npgsql;

namespace DrTools.Core.Integrity;

/// <summary>
/// A checksum that waits for a table another transaction holds (an open LOCK TABLE, DROP, ALTER or TRUNCATE; on a standby,
/// the replay of one made on the primary) would wait until the command timeout, which then blamed the server ("no answer
/// within 10 s"). The read waits a little less than that for a lock, and the failure names the table and who holds it:
/// process, application, state and since when, never the holder's query (another session's SQL holds its values).
/// </summary>
internal static class TableLocks
{
    /// <summary>How long a checksum read waits for a table's lock: one second less than the connection's command timeout.</summary>
    public static TimeSpan Wait(NpgsqlConnection connection) => TimeSpan.FromSeconds(Math.Max(1, connection.CommandTimeout - 1));

    public static async Task SetWaitAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var wait = new NpgsqlCommand($"set local lock_timeout = {(long)Wait(connection).TotalMilliseconds}", connection);
        await wait.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The failure of a read of <paramref name="table"/> that waited <paramref name="waited"/>, naming the lock's holders.
    /// </summary>
    public static async Task<DrToolsException> WaitedAsync(DbMember member, string table, string quoted, TimeSpan waited,
        CancellationToken cancellationToken)
    {
        var holders = new List<string>();
        await using (var connection = await member.OpenAsync(cancellationToken))
        await using (var find = new NpgsqlCommand("""
            select distinct on (a.pid) a.pid, a.backend_type, coalesce(nullif(a.application_name, ''), '-'), coalesce(a.state, '-'),
                   to_char(a.xact_start at time zone 'UTC', 'HH24:MI:SS')
            from pg_locks l join pg_stat_activity a on a.pid = l.pid
            where l.locktype = 'relation' and l.granted and l.relation = to_regclass(@table) and a.pid <> pg_backend_pid()
            order by a.pid
            """, connection))
        {
            find.Parameters.AddWithValue("table", quoted);
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                holders.Add(reader.GetString(1) == "startup"
                    ? $"pid {reader.GetInt32(0)}, WAL replay: a transaction on the primary holds it"
                    : $"pid {reader.GetInt32(0)}, application '{PrintableText.OneLine(reader.GetString(2))}', {reader.GetString(3)}"
                        + (reader.IsDBNull(4) ? "" : $" in a transaction since {reader.GetString(4)} UTC"));
            }
        }
        var who = holders.Count > 0 ? $"held by {string.Join("; ", holders)}" : "held by a transaction that has ended since";
        return new DrToolsException($"{member.Display}: the checksum of {table} waited {DurationText.Format(waited)} for a lock on it, "
            + $"{who}. Its rows cannot be read while another transaction holds the table (LOCK TABLE, DROP, ALTER, TRUNCATE).",
            DrErrorKind.Timeout);
    }
}
