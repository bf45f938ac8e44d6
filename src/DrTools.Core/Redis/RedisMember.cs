using System.Net.Sockets;

namespace DrTools.Core.Redis;

/// <summary>
/// One Redis server of a cluster, given as redis://[:password@]host:port (or host:port, password separately). Every
/// failure to reach it becomes one line naming the member, never the password; a Redis Cluster node is refused.
/// </summary>
public sealed class RedisMember : Engines.StoreMember
{
    private RedisMember(string name, string host, int port, string? password, TimeSpan connectTimeout) : base(name, host, port)
    {
        Password = password;
        ConnectTimeout = connectTimeout;
    }

    public TimeSpan ConnectTimeout { get; }

    /// <summary>The requirepass (sent to the server as AUTH and masterauth, never shown).</summary>
    internal string? Password { get; }

    public static RedisMember Create(string name, string host, int port, string? password, TimeSpan? connectTimeout = null) =>
        new(name, host, port, password, connectTimeout ?? Postgres.DbMember.DefaultConnectTimeout);

    /// <summary>
    /// Parses redis://[user][:password@]host[:port], Host=…;Port=…;Password=… or host[:port]; <paramref name="position"/>
    /// (1-based) names a member whose text cannot be read, shown with its password masked.
    /// </summary>
    public static RedisMember Parse(string text, int position, string? password = null, TimeSpan? connectTimeout = null)
    {
        var value = text.Trim();
        string? given = null;
        if (value.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("rediss://",
            StringComparison.OrdinalIgnoreCase))
        {
            if (value.StartsWith("rediss://",
                StringComparison.OrdinalIgnoreCase)) throw new DrToolsException($"member #{position}: TLS (rediss://) is not supported "
                + $"yet; give redis://host:port.", DrErrorKind.InvalidArgument);
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            {
                throw Unreadable(value, position);
            }
            if (uri.Port == 0) throw Invalid(position, "port 0 is not a port number (1 to 65535).");
            given = uri.UserInfo.Contains(':') ? Uri.UnescapeDataString(uri.UserInfo[(uri.UserInfo.IndexOf(':') + 1)..]) : null;
            return Create($"{uri.Host}:{(uri.IsDefaultPort || uri.Port < 0 ? 6379 : uri.Port)}", uri.Host, uri.IsDefaultPort || uri.Port < 0
                ? 6379 : uri.Port, password ?? given, connectTimeout);
        }
        if (value.Contains('=')) return ParseKeywords(value, position, password, connectTimeout);
        var parts = value.Split(':');
        if (parts.Length > 2 || parts[0].Length == 0 || (parts.Length == 2 && !ValidPort(parts[1])) || value.Contains(';'))
        {
            throw Unreadable(value, position);
        }
        var port = parts.Length == 2 ? int.Parse(parts[1]) : 6379;
        return Create($"{parts[0]}:{port}", parts[0], port, password, connectTimeout);
    }

    /// <summary>Host=…;Port=…;Password=… (Server and Pwd too), the form other engines' members are written in.</summary>
    private static RedisMember ParseKeywords(string value, int position, string? password, TimeSpan? connectTimeout)
    {
        var builder = new System.Data.Common.DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = value;
        }
        catch (ArgumentException)
        {
            throw Unreadable(value, position);
        }
        string? host = null, given = null;
        var port = 6379;
        foreach (string key in builder.Keys)
        {
            var text = Convert.ToString(builder[key], System.Globalization.CultureInfo.InvariantCulture) ?? "";
            switch (key.ToLowerInvariant())
            {
                case "host" or "server":
                    host = text.Trim();
                    break;
                case "port" when ValidPort(text):
                    port = int.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "port":
                    throw Invalid(position, $"Port '{text}' is not a port number (1 to 65535).");
                case "password" or "pwd":
                    given = text;
                    break;
                case var word when word.All(c => char.IsAsciiLetterOrDigit(c) || c is ' ' or '_'):
                    throw Invalid(position, $"unknown keyword '{key}' (Host, Port, Password).");
                default:
                    throw Unreadable(value, position);
            }
        }
        if (string.IsNullOrEmpty(host) || host.Contains(',') || host.Contains(':'))
        {
            throw Invalid(position, "give one Host (and Port separately).");
        }
        return Create($"{host}:{port}", host, port, password ?? given, connectTimeout);
    }

    private static bool ValidPort(string text) => int.TryParse(text, out var port) && port is >= 1 and <= 65535;

    private static DrToolsException Invalid(int position, string problem) =>
        new($"member #{position}: invalid Redis connection string: {problem}", DrErrorKind.InvalidArgument);

    private static DrToolsException Unreadable(string value, int position) => new(
        $"member #{position}: '{Secrets.Redaction.ConnectionString(value)}' is not a Redis address: "
        + "give host:port, a redis:// URL or Host=…;Port=…;Password=….", DrErrorKind.InvalidArgument);

    /// <summary>Connects, authenticates, and refuses a Redis Cluster node: DrTools drills a primary with replicas.</summary>
    public async Task<RedisConnection> OpenAsync(CancellationToken cancellationToken, bool checkClusterMode = false)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(ConnectTimeout);
        RedisConnection? connection = null;
        try
        {
            connection = await RedisConnection.OpenAsync(Host, Port, Password, deadline.Token);
            if (checkClusterMode && (await connection.InfoAsync("cluster", deadline.Token)).GetValueOrDefault("cluster_enabled") == "1")
            {
                throw new DrToolsException($"{Display} is a Redis Cluster node (cluster mode): not supported; DrTools drills a primary "
                    + $"with replicas (and Sentinels).", DrErrorKind.InvalidArgument);
            }
            return connection;
        }
        catch (Exception e) when (e is not DrToolsException && !cancellationToken.IsCancellationRequested)
        {
            if (connection is not null) await connection.DisposeAsync();
            throw Describe(e is OperationCanceledException ? new TimeoutException($"no answer within {DurationText.Format(ConnectTimeout)}")
                : e);
        }
        catch
        {
            if (connection is not null) await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>A failure on this member in one line: wrong password, nothing listening, another engine's port.</summary>
    public DrToolsException Describe(Exception e)
    {
        return e switch
        {
            RedisErrorException { Message: var m } when m.StartsWith("WRONGPASS", StringComparison.Ordinal) || m.StartsWith("NOAUTH",
                StringComparison.Ordinal) || m.Contains("invalid password", StringComparison.OrdinalIgnoreCase)
                || m.Contains("AUTH <password> called without any password", StringComparison.Ordinal) =>
                new DrToolsException($"{Display}: Redis refused the credentials (password not shown): {Secrets.Redaction.Text(m)}",
                    DrErrorKind.ConnectionFailed, e),
            RedisErrorException error => new DrToolsException($"{Display}: {Secrets.Redaction.Text(error.Message)}",
                DrErrorKind.InvalidOperation, e),
            SocketException or TimeoutException => new DrToolsException($"{Display}: cannot connect: {e.Message}",
                DrErrorKind.ConnectionFailed, e),
            _
                => new DrToolsException($"{Display}: the server there does not answer as Redis ({Secrets.Redaction.Text(e.Message)}); is "
                + $"it another engine's port?", DrErrorKind.ConnectionFailed, e),
        };
    }

    /// <summary>Runs one command on a new connection; errors name the member.</summary>
    public async Task<object?> CommandAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await CommandAsync(connection, cancellationToken, arguments);
    }

    internal async Task<object?> CommandAsync(RedisConnection connection, CancellationToken cancellationToken, params string[] arguments)
    {
        try
        {
            return await connection.CommandAsync(cancellationToken, arguments);
        }
        catch (Exception e) when (e is RedisErrorException or IOException or SocketException && !cancellationToken.IsCancellationRequested)
        {
            throw Describe(e);
        }
    }

    public async Task<IReadOnlyDictionary<string, string>> InfoAsync(string section, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        try
        {
            return await connection.InfoAsync(section, cancellationToken);
        }
        catch (Exception e) when (e is RedisErrorException or IOException or SocketException && !cancellationToken.IsCancellationRequested)
        {
            throw Describe(e);
        }
    }
}
