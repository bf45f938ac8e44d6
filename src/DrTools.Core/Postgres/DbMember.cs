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
    /// <summary>The server (host:port) every connection through this endpoint must reach, accepting writes; null: any.</summary>
    private readonly string? _writer;

    private DbMember(string name, string host, int port, string connectionString, TimeSpan connectTimeout, string? writer = null)
        : base(name, host, port)
    {
        _connectionString = connectionString;
        ConnectTimeout = connectTimeout;
        _writer = writer;
    }

    /// <summary>
    /// The same endpoint, read only from <paramref name="server"/> while it accepts writes: a proxy still routing some
    /// connections to the old writer (a standby behind it now, or a primary nobody writes to) would show the writer's rows as
    /// lost. A connection that reaches another server fails with <see cref="MisroutedConnectionException"/>.
    /// </summary>
    public DbMember ReachingWriter(string server) => new(Name, Host, Port, _connectionString, ConnectTimeout, server);

    public TimeSpan ConnectTimeout { get; }

    /// <summary>The same server and credentials, connected to another database.</summary>
    public DbMember InDatabase(string database) =>
        new(Name, Host, Port, new NpgsqlConnectionStringBuilder(_connectionString) { Database = database }.ConnectionString,
            ConnectTimeout);

    /// <summary>The same server under the name its HA manager gives it.</summary>
    public DbMember Named(string name) => new(name, Host, Port, _connectionString, ConnectTimeout);

    /// <summary>
    /// Parses one member's connection string. <paramref name="position"/> (1-based) names the member when the string
    /// itself cannot be read. A user name and password given separately (a PSCredential, say) override the string's.
    /// </summary>
    public static DbMember Parse(string connectionString, int position, string? name = null, string? userName = null,
        string? password = null, TimeSpan? connectTimeout = null)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            RequireValidPort(connectionString, position);
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            var reason = Secrets.Redaction.Text(e.InnerException is { } inner ? $"{e.Message.TrimEnd('.')}: {inner.Message}" : e.Message);
            throw new DrToolsException($"member #{position}: invalid connection string: {reason.Split('\n')[0].Trim()}",
                DrErrorKind.InvalidArgument);
        }
        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw new DrToolsException($"member #{position}: invalid connection string: it names no Host.", DrErrorKind.InvalidArgument);
        }
        if (builder.Host.Contains(','))
        {
            throw new DrToolsException($"member #{position}: give one host per member; '{builder.Host}' names several (pass each member "
                + $"separately).", DrErrorKind.InvalidArgument);
        }
        // "Host=db1:5433" names its port as several-host strings do; Npgsql would look "db1:5433" up as a name.
        var (host, hostPort) = Engines.HostPort.Split(builder.Host, problem =>
            new DrToolsException($"member #{position}: invalid connection string: {problem}", DrErrorKind.InvalidArgument));
        if (hostPort is { } written) (builder.Host, builder.Port) = (host, written);
        if (userName is not null) builder.Username = userName;
        if (password is not null) builder.Password = password;

        var timeout = connectTimeout ?? DefaultConnectTimeout;
        builder.Timeout = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds));
        builder.CommandTimeout = Math.Max(builder.CommandTimeout, builder.Timeout);
        // Inspection connections are short-lived and must never be a pooled connection to a server that has since died.
        builder.Pooling = false;
        if (string.IsNullOrEmpty(builder.ApplicationName)) builder.ApplicationName = "drtools";
        var endpoint = $"{builder.Host}:{builder.Port}";
        return new DbMember(name ?? endpoint, builder.Host!, builder.Port, builder.ConnectionString, timeout);
    }

    /// <summary>A port outside 1-65535 is bad input, not an unreachable member (Npgsql accepts 70000 and says two lines about
    /// -5).</summary>
    private static void RequireValidPort(string connectionString, int position)
    {
        var generic = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        if (generic.TryGetValue("port", out var port) && !(int.TryParse(Convert.ToString(port,
            System.Globalization.CultureInfo.InvariantCulture), out var number) && number is >= 1 and <= 65535))
        {
            throw new DrToolsException($"member #{position}: invalid connection string: Port '{port}' is not a port number (1 to 65535).",
                DrErrorKind.InvalidArgument);
        }
    }

    /// <summary>A connection string for this member with the given overrides applied (for probes with their own settings).</summary>
    public NpgsqlConnectionStringBuilder CreateBuilder() => new(_connectionString);

    public async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(ConnectTimeout);
        try
        {
            var connection = await ConnectionOpening.OpenAsync(new NpgsqlConnection(_connectionString), deadline.Token);
            if (_writer is not null) await RequireWriterAsync(connection, deadline.Token);
            return connection;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not DrToolsException)
        {
            var failure = Describe(e);
            if (failure.Kind == DrErrorKind.Timeout && await ForeignServerProbe.IdentifyAsync(Host, Port, cancellationToken) is { } other)
            {
                var reason = $"the server there answered, but not as PostgreSQL ({other}); is it another engine's port?";
                throw new MemberException(this, reason, DrErrorKind.ConnectionFailed, e);
            }
            throw failure;
        }
    }

    private async Task RequireWriterAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var (server, standby) = await connection.ReadFirstAsync(
            "select host(inet_server_addr()) || ':' || inet_server_port(), pg_is_in_recovery()",
            r => (r.IsDBNull(0) ? "a server on a Unix socket" : r.GetString(0), r.GetBoolean(1)), cancellationToken);
        if (server == _writer && !standby) return;
        await connection.DisposeAsync();
        throw new MisroutedConnectionException(
            $"{Display}: the connection reached {server}{(standby ? ", a standby" : "")}, not the writer {_writer}");
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
        return new MemberException(this, Secrets.Redaction.Text(reason), kind, error);
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
            NpgsqlException { InnerException: { } inner } when inner is SocketException or PostgresException or IOException
                => Reason(inner),
            // Npgsql's "Attempted to read past the end of the stream": the server ended the session mid-answer.
            EndOfStreamException => ("the server closed the connection (the session was ended, or the server restarted)",
                DrErrorKind.ConnectionFailed),
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
}
