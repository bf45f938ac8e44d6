using DrTools.Core.Failover;
using MySqlConnector;

namespace DrTools.Core.MariaDb;

/// <summary>
/// The drill lock of a MariaDB cluster that is not a sandbox: GET_LOCK on every member that answers (a named lock is
/// per server, replicas included), each on a connection of its own held for the drill; it ends with that connection.
/// </summary>
internal static class MariaDbDrillLock
{
    private const string Name = "drtools.drill";

    public static Task<IAsyncDisposable> AcquireAsync(MariaDbCluster cluster, CancellationToken cancellationToken) =>
        DrillLock.LockMembersAsync(cluster, cluster.Members, (member, token) => member.OpenAsync(token), TryLockAsync,
            (connection, token) => ReleaseAsync(connection, token), cancellationToken);

    private static async Task ReleaseAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand($"select release_lock('{Name}')", connection);
        await command.ExecuteScalarAsync(cancellationToken);
    }

    private static async Task<string?> TryLockAsync(MariaDbMember member, MySqlConnection connection, CancellationToken cancellationToken)
    {
        var taken = await member.RowsAsync(connection, $"select get_lock('{Name}', 0) as taken", cancellationToken);
        if (Convert.ToInt64(taken[0]["taken"], System.Globalization.CultureInfo.InvariantCulture) == 1) return null;
        // MariaDB keeps no application name without performance_schema: the holder is named by its connection.
        var holder = await member.RowsAsync(connection,
            $"select id, host, time from information_schema.processlist where id = is_used_lock('{Name}')", cancellationToken);
        return holder.Count == 0
            ? "a drill that has just ended"
            : $"MariaDB connection {holder[0]["id"]} from {holder[0]["host"]}, in its current state for {holder[0]["time"]} s";
    }
}
