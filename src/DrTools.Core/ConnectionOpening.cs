using System.Data.Common;

namespace DrTools.Core;

/// <summary>
/// Opens a connection that ends when its token says so. Neither Npgsql nor MySqlConnector ends an open on its token
/// during the handshake: a frozen server (the kernel accepts, nothing answers) held one for the driver's whole
/// connect timeout (measured with Npgsql 10.0.0 and MySqlConnector 2.6.2: 10.07 s with a 10 s timeout and the
/// token cancelled at 1 s).
/// </summary>
internal static class ConnectionOpening
{
    public static async Task<T> OpenAsync<T>(T connection, CancellationToken cancellationToken)
        where T : DbConnection
    {
        var opening = connection.OpenAsync(cancellationToken);
        try
        {
            await opening.WaitAsync(cancellationToken);
            return connection;
        }
        catch when (!opening.IsCompleted)
        {
            // Left to the driver until its own timeout; the connection is disposed once it gives up, never used.
            _ = opening.ContinueWith(_ => connection.Dispose(), CancellationToken.None, TaskContinuationOptions.None,
                TaskScheduler.Default);
            throw;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
