using System.Net.Sockets;
using System.Text;

namespace DrTools.Core.Postgres;

/// <summary>
/// After a PostgreSQL connection timed out: whether something else listens there. A Redis server waits silently for a
/// line after PostgreSQL's binary start-up packet, so the client only sees a timeout; asked again with a line, it answers.
/// </summary>
internal static class ForeignServerProbe
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(1);
    private static readonly byte[] SslRequest = [0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F];

    /// <summary>What answered instead of PostgreSQL ("it answered '-ERR …', as Redis does"), or null: PostgreSQL, or no answer at all.</summary>
    public static async Task<string?> IdentifyAsync(string host, int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        try
        {
            using (var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                connect.CancelAfter(Step);
                await client.ConnectAsync(host, port, connect.Token);
            }
            var stream = client.GetStream();
            await stream.WriteAsync(SslRequest, cancellationToken);
            var answer = await ReadAsync(stream, cancellationToken);
            if (answer.Length == 0)
            {
                await stream.WriteAsync("\r\nPING\r\n"u8.ToArray(), cancellationToken);
                answer = await ReadAsync(stream, cancellationToken);
            }
            return answer switch
            {
                [] or [(byte)'S'] or [(byte)'N'] => null,
                _ when answer[0] is (byte)'-' or (byte)'+' => $"it answered '{Printable(answer)}', as Redis does",
                _ => $"it answered '{Printable(answer)}'",
            };
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private static async Task<byte[]> ReadAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[200];
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(Step);
        try
        {
            return buffer[..await stream.ReadAsync(buffer, wait.Token)];
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return [];
        }
    }

    private static string Printable(byte[] answer)
    {
        var text = Encoding.ASCII.GetString(answer).Split('\n')[0].TrimEnd('\r');
        return PrintableText.Escape(text.Length > 60 ? text[..60] + "…" : text);
    }
}
