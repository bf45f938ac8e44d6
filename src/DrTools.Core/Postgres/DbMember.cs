using System.Net.Sockets;
using Npgsql;

namespace DrTools.Core.Postgres;

/// <summary>
/// One PostgreSQL server of a cluster, reached by an Npgsql connection string. Every failure to reach it becomes a
/// one-line <see cref="DrToolsException"/> naming the member, scrubbed of the password, within <see cref="ConnectTimeout"/>.
/// </summary>
public sealed class DbMember : Engines.StoreMember
{
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);

    private readonly string _connectionString;
    private readonly string? _password;

    private DbMember(string name, string host, int port, string connectionString, string? password, TimeSpan connectTimeout) : base(name, host, port)
    {
        _connectionString = connectionString;
        _password = password;
        ConnectTimeout = connectTimeout;
    }

    public TimeSpan ConnectTimeout { get; }

    /// <summary>The same server and credentials, connected to another database.</summary>
    public DbMember InDatabase(string database) =>
        new(Name, Host, Port, new NpgsqlConnectionStringBuilder(_connectionString) { Database = database }.ConnectionString,
            _password, ConnectTimeout);

    /// <summary>The same server under the name its HA manager gives it.</summary>
    public DbMember Named(string name) => new(name, Host, Port, _connectionString, _password, ConnectTimeout);

    /// <summary>
    /// Parses one member's connection string. <paramref name="position"/> (1-based) names the member when the string
    /// itself cannot be read. A user name and password given separately (a PSCredential, say) override the string's.
    /// </summary>
    public static DbMember Parse(string connectionString, int position, string? name = null, string? userName = null, string? password = null, TimeSpan? connectTimeout = null)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            RequireValidPort(connectionString, position);
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            var reason = Scrub(e.InnerException is { } inner ? $"{e.Message.TrimEnd('.')}: {inner.Message}" : e.Message, ExtractPassword(connectionString));
            throw new DrToolsException($"member #{position}: invalid connection string: {reason.Split('\n')[0].Trim()}", DrErrorKind.InvalidArgument);
        }
        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw new DrToolsException($"member #{position}: invalid connection string: it names no Host.", DrErrorKind.InvalidArgument);
        }
        if (builder.Host.Contains(','))
        {
            throw new DrToolsException($"member #{position}: give one host per member; '{builder.Host}' names several (pass each member separately).", DrErrorKind.InvalidArgument);
        }
        if (userName is not null) builder.Username = userName;
        if (password is not null) builder.Password = password;

        var timeout = connectTimeout ?? DefaultConnectTimeout;
        builder.Timeout = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds));
        builder.CommandTimeout = Math.Max(builder.CommandTimeout, builder.Timeout);
        // Inspection connections are short-lived and must never be a pooled connection to a server that has since died.
        builder.Pooling = false;
        if (string.IsNullOrEmpty(builder.ApplicationName)) builder.ApplicationName = "drtools";
        var endpoint = $"{builder.Host}:{builder.Port}";
        return new DbMember(name ?? endpoint, builder.Host!, builder.Port, builder.ConnectionString, builder.Password, timeout);
    }

    /// <summary>A port outside 1-65535 is bad input, not an unreachable member (Npgsql accepts 70000 and says two lines about -5).</summary>
    private static void RequireValidPort(string connectionString, int position)
    {
        var generic = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        if (generic.TryGetValue("port", out var port) && !(int.TryParse(Convert.ToString(port, System.Globalization.CultureInfo.InvariantCulture), out var number) && number is >= 1 and <= 65535))
        {
            throw new DrToolsException($"member #{position}: invalid connection string: Port '{port}' is not a port number (1 to 65535).", DrErrorKind.InvalidArgument);
        }
    }

    /// <summary>A connection string for this member with the given overrides applied (for probes with their own settings).</summary>
    public NpgsqlConnectionStringBuilder CreateBuilder() => new(_connectionString);

    public async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(_connectionString);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(ConnectTimeout);
        try
        {
            await connection.OpenAsync(deadline.Token);
            return connection;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not DrToolsException)
        {
            await connection.DisposeAsync();
            throw Describe(e);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs one statement on a connection of its own; failures name this member.</summary>
    public async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (NpgsqlException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw Describe(e);
        }
    }

    /// <summary>Reads the first row of a query on a connection of its own; failures name this member.</summary>
    public async Task<T> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        try
        {
            return await connection.ReadFirstAsync(sql, read, cancellationToken);
        }
        catch (NpgsqlException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw Describe(e);
        }
    }

    /// <summary>Turns a driver or network error into a one-line error naming this member.</summary>
    public MemberException Describe(Exception error)
    {
        var (reason, kind) = Reason(error);
        return new MemberException(this, Scrub(reason, _password), kind, error);
    }

    private (string Reason, DrErrorKind Kind) Reason(Exception error)
    {
        var timeout = $"no answer within {DurationText.Format(ConnectTimeout)}";
        return error switch
        {
            PostgresException pg => (pg.MessageText, DrErrorKind.ConnectionFailed),
            SocketException socket => (SocketReason(socket), DrErrorKind.ConnectionFailed),
            TimeoutException or OperationCanceledException => (timeout, DrErrorKind.Timeout),
            NpgsqlException { InnerException: TimeoutException } => (timeout, DrErrorKind.Timeout),
            NpgsqlException { InnerException: { } inner } when inner is SocketException or PostgresException or IOException => Reason(inner),
            _ => (error.Message, DrErrorKind.ConnectionFailed),
        };
    }

    private string SocketReason(SocketException socket) => socket.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => $"connection refused: nothing is listening on {Endpoint}",
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => $"host '{Host}' not found",
        SocketError.TimedOut => $"no answer within {DurationText.Format(ConnectTimeout)}",
        _ => socket.Message,
    };

    private static string Scrub(string text, string? password) =>
        string.IsNullOrEmpty(password) ? text : text.Replace(password, "********", StringComparison.Ordinal);

    /// <summary>Best effort for strings the builder could not read, so that even their error messages cannot leak it.</summary>
    private static string? ExtractPassword(string connectionString)
    {
        foreach (var part in connectionString.Split(';'))
        {
            var eq = part.IndexOf('=');
            if (eq > 0 && part[..eq].Trim() is var key && (key.Equals("password", StringComparison.OrdinalIgnoreCase) || key.Equals("pwd", StringComparison.OrdinalIgnoreCase)))
            {
                return part[(eq + 1)..].Trim();
            }
        }
        return null;
    }
}

/// <summary>A member could not be reached or failed: <see cref="Reason"/> says why, without naming the member again.</summary>
public sealed class MemberException(DbMember member, string reason, DrErrorKind kind, Exception? inner)
    : DrToolsException($"{member.Display}: {reason}", kind, inner)
{
    public DbMember Member { get; } = member;
    public string Reason { get; } = reason;
}
