using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace DrTools.Core.Postgres;

/// <summary>
/// After a PostgreSQL connection timed out: whether something else listens there. A Redis server waits silently for a
/// line after PostgreSQL's binary start-up packet, so the client only sees a timeout; asked with a line, it answers.
/// </summary>
internal static class ForeignServerProbe
{
    /// <summary>
    /// All the asking may add to a connect timeout that already ran out: another engine answers within milliseconds, and a
    /// frozen server (the kernel accepts, nothing answers) would otherwise hold the caller a second per question.
    /// </summary>
    public static readonly TimeSpan Budget = TimeSpan.FromMilliseconds(600);
    private static readonly byte[] SslRequest = [0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F];

    private const string AnsweredAsPostgreSql = "it answered an SSL request as PostgreSQL does";

    /// <summary>A MariaDB or MySQL handshake: a packet header (3 bytes of length, sequence 0), then protocol version 10.</summary>
    public const string GreetedAsMariaDb = "it greeted as MariaDB and MySQL do";

    /// <summary>What answered instead of PostgreSQL ("it answered '-NOAUTH …', as Redis does"), or null: PostgreSQL, or nothing.</summary>
    public static async Task<string?> IdentifyAsync(string host, int port, CancellationToken cancellationToken) =>
        await DescribeAsync(host, port, cancellationToken) is { } answer && answer != AnsweredAsPostgreSql ? answer : null;

    /// <summary>
    /// What answers there, PostgreSQL included, or null when nothing does: a frozen or unreachable server, not another
    /// engine's (a MariaDB client, which waits for the server to speak first, only sees a timeout at either).
    /// </summary>
    public static async Task<string?> DescribeAsync(string host, int port, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        TimeSpan Left() => Budget - Stopwatch.GetElapsedTime(started);
        // PostgreSQL answers an SSL request with one byte, S or N; a server that speaks first (MariaDB) answers anyway.
        // Half the budget: what is left asks the silent ones for a line.
        var answer = await AskAsync(host, port, SslRequest, Left() / 2, cancellationToken);
        if (answer is [(byte)'S'] or [(byte)'N']) return AnsweredAsPostgreSql;
        // A silent server is asked for a line on a new connection (PostgreSQL would close it: a bad start-up packet).
        if (answer is { Length: 0 }) answer = await AskAsync(host, port, "PING\r\n"u8.ToArray(), Left(), cancellationToken);
        return answer switch
        {
            null or [] => null,
            [(byte)'-' or (byte)'+', ..] => $"it answered '{Printable(answer)}', as Redis does",
            [_, _, _, 0, 10, ..] => GreetedAsMariaDb,
            _ => $"it answered '{Printable(answer)}'",
        };
    }

    /// <summary>
    /// The first bytes the server answers within <paramref name="within"/>, connecting included (none: silent), or null
    /// when it cannot be reached.
    /// </summary>
    private static async Task<byte[]?> AskAsync(string host, int port, byte[] question, TimeSpan within,
        CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(within > TimeSpan.Zero ? within : TimeSpan.Zero);
        try
        {
            await client.ConnectAsync(host, port, wait.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        try
        {
            var stream = client.GetStream();
            await stream.WriteAsync(question, wait.Token);
            var buffer = new byte[200];
            return buffer[..await stream.ReadAsync(buffer, wait.Token)];
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException
            && !cancellationToken.IsCancellationRequested)
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
