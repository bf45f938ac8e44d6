using DrTools.Core.Failover;
using Npgsql;

namespace DrTools.Core.Postgres;

/// <summary>
/// The drill lock of a PostgreSQL cluster that is not a sandbox: a session advisory lock on every member that answers
/// (standbys take advisory locks too), each on a connection of its own held for the drill. A killed primary takes its
/// lock with it; the standbys' hold until the drill ends or its process dies.
/// </summary>
internal static class PostgresDrillLock
{
    /// <summary>"DrDrill" in ASCII: the key every DrTools drill locks, split as pg_locks shows it (classid, objid).</summary>
    private const long Key = 0x44724472696C6C;

    public static Task<IAsyncDisposable> AcquireAsync(DbTarget target, CancellationToken cancellationToken) =>
        DrillLock.LockMembersAsync(target, target.Members, (member, token) => member.OpenAsync(token), TryLockAsync,
            (connection, token) => connection.ReadFirstAsync($"select pg_advisory_unlock({Key})", r => r.GetBoolean(0), token),
            cancellationToken);

    private static async Task<string?> TryLockAsync(DbMember member, NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            var name = DrillLock.ShortHolder.Replace("'", "''", StringComparison.Ordinal);
            var sql = $"select set_config('application_name', '{name}', false), pg_try_advisory_lock({Key})";
            if (await connection.ReadFirstAsync(sql, r => r.GetBoolean(1), cancellationToken)) return null;
            return await connection.ReadFirstAsync(
                "select a.application_name, coalesce(host(a.client_addr), 'a local socket'), "
                + "to_char(a.backend_start at time zone 'utc', 'YYYY-MM-DD HH24:MI:SS') "
                + "from pg_locks l join pg_stat_activity a on a.pid = l.pid "
                + $"where l.locktype = 'advisory' and l.granted and l.objsubid = 1 and l.classid::bigint = {Key >> 32} "
                + $"and l.objid::bigint = {Key & 0xFFFFFFFF}",
                r => r.HasRows
                    ? $"{r.GetString(0)}, connected from {r.GetString(1)} since {r.GetString(2)}Z"
                    : "a drill that has just ended",
                cancellationToken);
        }
        catch (NpgsqlException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DrToolsException(member.Describe(e).Message, DrErrorKind.ConnectionFailed, e);
        }
    }
}
