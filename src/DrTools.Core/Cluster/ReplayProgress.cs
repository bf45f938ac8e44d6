using DrTools.Core.Postgres;
using Npgsql;

namespace DrTools.Core.Cluster;

/// <summary>
/// Whether a standby replays the WAL it received: with its startup process stopped (frozen, or waiting on a query that
/// conflicts with replay) its WAL receiver still streams and replies, and the primary sees a healthy standby.
/// </summary>
internal static class ReplayProgress
{
    /// <summary>How long a standby behind what it received may replay nothing before it is named.</summary>
    public static readonly TimeSpan Watch = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    /// <returns>
    /// Null when it has replayed all it received, replays on, or was told not to (paused, or delayed by
    /// recovery_min_apply_delay); else what is stuck.
    /// </returns>
    public static async Task<string?> StuckAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var clock = new MonotonicClock();
        Lsn? first = null;
        while (true)
        {
            var (received, replayed, held) = await connection.ReadFirstAsync(
                "select pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text,"
                    + " pg_is_wal_replay_paused() or current_setting('recovery_min_apply_delay') <> '0'",
                r => (r.IsDBNull(0) ? (Lsn?)null : Lsn.Parse(r.GetString(0)), Lsn.Parse(r.GetString(1)), r.GetBoolean(2)),
                cancellationToken);
            if (received is not { } head || replayed >= head || held) return null;
            first ??= replayed;
            if (replayed > first) return null;
            if (clock.Elapsed >= Watch)
            {
                return $"its replay made no progress for {DurationText.Format(Watch)}: stuck at {replayed}, {head.BytesAfter(replayed)} "
                    + "bytes received after it (its startup process is stopped, or waits on a query that conflicts with replay)";
            }
            await Task.Delay(Poll, cancellationToken);
        }
    }
}
