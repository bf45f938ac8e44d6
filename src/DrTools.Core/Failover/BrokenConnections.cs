using Npgsql;
using DrTools.Core.Postgres;

namespace DrTools.Core.Failover;

/// <summary>
/// A drill's reads once its probes stopped, done again on a new connection when the one they used broke: an endpoint that
/// shut its sessions (HAProxy marking a server down when slow health checks time out), a reset. Nothing writes then, so a
/// new connection reads what the broken one would have. The first break and the attempt that read are on the timeline.
/// </summary>
internal static class BrokenConnections
{
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(250);

    /// <param name="what">What is read, for the timeline ("the probe rows on 127.0.0.1:5432").</param>
    /// <param name="within">How long a connection may keep breaking before the last break is the drill's error.</param>
    public static async Task<T> ReadAsync<T>(string what, Func<CancellationToken, Task<T>> read, TimeSpan within, Timeline timeline,
        CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var value = await read(cancellationToken);
                if (attempt > 1) timeline.Mark($"read {what}", $"on attempt {attempt}, on a new connection");
                return value;
            }
            catch (Exception e) when (Broken(e) && !cancellationToken.IsCancellationRequested
                && TimeProvider.System.GetElapsedTime(started) < within)
            {
                if (attempt == 1) timeline.Mark($"connection broke reading {what}", $"{e.Message}; reading again on a new connection");
                await Task.Delay(Pause, cancellationToken);
            }
        }
    }

    /// <summary>
    /// The driver's own judgement: a network error, a timeout, a server shutting sessions down; or an endpoint that routed the
    /// connection to another server than the writer.
    /// </summary>
    private static bool Broken(Exception error) =>
        error is NpgsqlException { IsTransient: true } or MisroutedConnectionException
            || error is MemberException { InnerException: NpgsqlException { IsTransient: true } };
}
