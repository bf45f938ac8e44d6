using Npgsql;

namespace DrTools.Core.Postgres;

/// <summary>
/// Opens an Npgsql connection that ends when its token says so. Npgsql does not end an open on its token during the
/// startup handshake: a frozen server (accepting connections, answering nothing) held one for its whole Timeout
/// (measured with Npgsql 10.0.0: 10.07 s with Timeout=10 and the token cancelled at 1 s).
/// </summary>
internal static class NpgsqlOpening
{
    public static async Task<NpgsqlConnection> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(connectionString);
        var opening = connection.OpenAsync(cancellationToken);
        try
        {
            await opening.WaitAsync(cancellationToken);
            return connection;
        }
        catch when (!opening.IsCompleted)
        {
            // Left to Npgsql until its own Timeout; the connection is disposed once it gives up, never used.
            _ = opening.ContinueWith(_ => connection.Dispose(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            throw;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
