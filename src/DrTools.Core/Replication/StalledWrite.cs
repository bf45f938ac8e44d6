using DrTools.Core.Postgres;
using DrTools.Core.Probes;
using Npgsql;

namespace DrTools.Core.Replication;

/// <summary>
/// Why a write DrTools made on a PostgreSQL primary did not commit in time, asked of the server on a connection of its
/// own: a commit waiting for a synchronous standby (one whose disk is full stops streaming) looks like an unanswered
/// server to the session that sent it.
/// </summary>
internal static class StalledWrite
{
    /// <summary>
    /// What the backend <paramref name="pid"/> waits for, or null when that cannot be told. The wait is cancelled: the
    /// write is DrTools' own and already committed locally, and left waiting it would hold its session until the
    /// standby returns.
    /// </summary>
    public static async Task<string?> ReasonAsync(DbMember member, int pid, CancellationToken cancellationToken)
    {
        try
        {
            var open = member.OpenAsync(cancellationToken);
            await using var connection = await Bounded.WithinAsync(open, member.ConnectTimeout, cancellationToken, Close);
            var asked = AskAsync(connection, pid, cancellationToken);
            return await Bounded.WithinAsync(asked, member.ConnectTimeout, cancellationToken, _ => ValueTask.CompletedTask);
        }
        catch (Exception e) when (e is NpgsqlException or DrToolsException or OperationCanceledException
                                      && !cancellationToken.IsCancellationRequested)
        {
            return null; // the first error, the write's, is the one reported
        }
    }

    private static async ValueTask Close(Task<NpgsqlConnection> open)
    {
        if (open.IsCompletedSuccessfully) await open.Result.DisposeAsync();
    }

    private static async Task<string?> AskAsync(NpgsqlConnection connection, int pid, CancellationToken cancellationToken)
    {
        await using var ask = new NpgsqlCommand(
            "select a.wait_event_type, a.wait_event, current_setting('synchronous_standby_names'),"
            + " (select string_agg(r.application_name || ' ' || r.state, ', ' order by r.application_name) from pg_stat_replication r),"
            + " pg_cancel_backend(a.pid) from pg_stat_activity a where a.pid = @pid", connection);
        ask.Parameters.AddWithValue("pid", pid);
        await using var reader = await ask.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return "its session has ended";
        var (type, wait) = (reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1));
        if (wait == "SyncRep")
        {
            var streaming = reader.IsDBNull(3) ? "none" : reader.GetString(3);
            return $"it waits for a synchronous standby to confirm it (synchronous_standby_names '{reader.GetString(2)}'; "
                + $"replication connections: {streaming}): a standby whose disk is full, or that stopped streaming? "
                + "Its server log says why";
        }
        return wait is null ? "it was still running, waiting on nothing the server names" : $"it waits on {type}/{wait}";
    }
}
