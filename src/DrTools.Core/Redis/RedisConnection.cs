using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace DrTools.Core.Redis;

/// <summary>
/// One RESP2 connection to one Redis server, each command written and its reply read before the next. DrTools' own,
/// not a pooled multiplexing client: a drill must see the server itself — which one answered, that it answered, when —
/// not a library's cached view of each server's role, re-checked on the library's own schedule.
/// </summary>
public sealed class RedisConnection : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly BufferedStream _reader;

    private RedisConnection(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
        _reader = new BufferedStream(_stream, 16 * 1024);
    }

    /// <summary>Connects and authenticates; errors are the caller's to describe (see <see cref="RedisMember"/>).</summary>
    public static async Task<RedisConnection> OpenAsync(string host, int port, string? password, CancellationToken cancellationToken)
    {
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(host, port, cancellationToken);
            var connection = new RedisConnection(client);
            if (!string.IsNullOrEmpty(password)) await connection.CommandAsync(cancellationToken, "AUTH", password);
            return connection;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends one command and returns its reply: a string (simple or bulk; null for a null bulk), a long, or an array of
    /// replies. An error reply throws <see cref="RedisErrorException"/>.
    /// </summary>
    public async Task<object?> CommandAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        await WriteAsync(arguments, cancellationToken);
        return await ReadReplyAsync(cancellationToken);
    }

    /// <summary>
    /// Sends every command at once and reads their replies in order: one round trip for many keys. An error reply is
    /// returned as its <see cref="RedisErrorException"/> (not thrown), so the replies after it are still read.
    /// </summary>
    public async Task<object?[]> PipelineAsync(IReadOnlyList<string[]> commands, CancellationToken cancellationToken)
    {
        await WriteAsync(commands, cancellationToken);
        var replies = new object?[commands.Count];
        for (var i = 0; i < replies.Length; i++)
        {
            try
            {
                replies[i] = await ReadReplyAsync(cancellationToken);
            }
            catch (RedisErrorException e)
            {
                replies[i] = e;
            }
        }
        return replies;
    }

    private Task WriteAsync(string[] arguments, CancellationToken cancellationToken) => WriteAsync([arguments], cancellationToken);

    private async Task WriteAsync(IReadOnlyList<string[]> commands, CancellationToken cancellationToken)
    {
        var request = new StringBuilder();
        foreach (var arguments in commands)
        {
            request.Append('*').Append(arguments.Length).Append("\r\n");
            foreach (var argument in arguments) request.Append('$').Append(Encoding.UTF8.GetByteCount(argument)).Append("\r\n")
                .Append(argument).Append("\r\n");
        }
        await _stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), cancellationToken);
    }

    /// <summary>A bulk reply as its bytes (DUMP's serialized values are binary).</summary>
    public async Task<byte[]> BytesAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        await WriteAsync(arguments, cancellationToken);
        var line = await ReadLineAsync(cancellationToken);
        if (line.StartsWith('-')) throw new RedisErrorException(line[1..]);
        if (!line.StartsWith('$') || !int.TryParse(line[1..], CultureInfo.InvariantCulture,
            out var length)) throw new IOException($"not a bulk reply: '{line}'");
        if (length < 0) return [];
        var data = new byte[length + 2];
        await _reader.ReadExactlyAsync(data, cancellationToken);
        return data[..length];
    }

    /// <summary>The reply as text (INFO, a bulk string), never null.</summary>
    public async Task<string> TextAsync(CancellationToken cancellationToken, params string[] arguments) =>
        Convert.ToString(await CommandAsync(cancellationToken, arguments), CultureInfo.InvariantCulture) ?? "";

    /// <summary>INFO of one section as field → value.</summary>
    public async Task<IReadOnlyDictionary<string, string>> InfoAsync(string section, CancellationToken cancellationToken) =>
        (await TextAsync(cancellationToken, "INFO", section)).Split('\n')
            .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#') && l.Contains(':'))
            .Select(l => l.Split(':', 2)).ToDictionary(p => p[0], p => p[1]);

    private async Task<object?> ReadReplyAsync(CancellationToken cancellationToken)
    {
        var line = await ReadLineAsync(cancellationToken);
        if (line.Length == 0) throw new IOException("empty reply line");
        var body = line[1..];
        switch (line[0])
        {
            case '+': return body;
            case '-': throw new RedisErrorException(body);
            case ':': return long.Parse(body, CultureInfo.InvariantCulture);
            case '$':
                var length = int.Parse(body, CultureInfo.InvariantCulture);
                if (length < 0) return null;
                var data = new byte[length + 2];
                await _reader.ReadExactlyAsync(data, cancellationToken);
                return Encoding.UTF8.GetString(data, 0, length);
            case '*':
                var count = int.Parse(body, CultureInfo.InvariantCulture);
                if (count < 0) return null;
                var items = new object?[count];
                for (var i = 0; i < count; i++) items[i] = await ReadReplyAsync(cancellationToken);
                return items;
            default:
                throw new IOException($"not a Redis reply: '{(line.Length > 40 ? line[..40] : line)}'");
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        var bytes = new List<byte>(64);
        var one = new byte[1];
        while (true)
        {
            if (await _reader.ReadAsync(one, cancellationToken) == 0) throw new IOException("the server closed the connection");
            if (one[0] == '\n' && bytes.Count > 0 && bytes[^1] == '\r') return Encoding.UTF8.GetString(bytes.ToArray(), 0, bytes.Count - 1);
            bytes.Add(one[0]);
            if (bytes.Count > 1024 * 1024) throw new IOException("a reply line of over 1 MiB: not a Redis server");
        }
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
