using MySqlConnector;

namespace DrTools.Core.MariaDb;

/// <summary>
/// One MariaDB (or MySQL) server of a cluster, reached by a MySqlConnector connection string. Every failure to reach it
/// becomes a one-line <see cref="DrToolsException"/> naming the member, never showing the password.
/// </summary>
public sealed class MariaDbMember : Engines.StoreMember
{
    private readonly string _connectionString;

    private MariaDbMember(string name, string host, int port, string userName, string connectionString, TimeSpan connectTimeout)
        : base(name, host, port)
    {
        UserName = userName;
        _connectionString = connectionString;
        ConnectTimeout = connectTimeout;
    }

    public string UserName { get; }

    public TimeSpan ConnectTimeout { get; }

    /// <summary>The password, for a replica's CHANGE MASTER TO (sent to the server, never shown).</summary>
    internal string Password => new MySqlConnectionStringBuilder(_connectionString).Password;

    /// <summary>
    /// Parses a member's connection string (Server=…;Port=…;User ID=…;Password=…). <paramref name="position"/> (1-based)
    /// names the member when the string cannot be read; a separately given user and password override the string's.
    /// </summary>
    public static MariaDbMember Parse(string connectionString, int position, string? name = null, string? userName = null,
        string? password = null, TimeSpan? connectTimeout = null)
    {
        MySqlConnectionStringBuilder builder;
        try
        {
            builder = new MySqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            var reason = Secrets.Redaction.Text(e.Message);
            throw new DrToolsException($"member #{position}: invalid MariaDB connection string: {reason.Split('\n')[0].Trim()}",
                DrErrorKind.InvalidArgument);
        }
        if (string.IsNullOrWhiteSpace(builder.Server))
        {
            throw new DrToolsException($"member #{position}: invalid MariaDB connection string: it names no Server.",
                DrErrorKind.InvalidArgument);
        }
        if (builder.Server.Contains(','))
        {
            throw new DrToolsException($"member #{position}: give one server per connection string ({builder.Server} names several); "
                + $"DrTools finds the primary among the members itself.", DrErrorKind.InvalidArgument);
        }
        if (builder.Port is < 1 or > 65535)
        {
            throw new DrToolsException($"member #{position}: invalid MariaDB connection string: Port '{builder.Port}' is not a port number "
                + "(1 to 65535).", DrErrorKind.InvalidArgument);
        }
        var (server, serverPort) = Engines.HostPort.Split(builder.Server, problem =>
            new DrToolsException($"member #{position}: invalid MariaDB connection string: {problem}", DrErrorKind.InvalidArgument));
        if (serverPort is { } written) (builder.Server, builder.Port) = (server, (uint)written);
        if (userName is not null) builder.UserID = userName;
        if (password is not null) builder.Password = password;
        builder.Pooling = false;
        var timeout = connectTimeout ?? Postgres.DbMember.DefaultConnectTimeout;
        builder.ConnectionTimeout = (uint)Math.Max(1, Math.Ceiling(timeout.TotalSeconds));
        builder.AllowUserVariables = true;
        var host = builder.Server;
        var port = (int)builder.Port;
        return new MariaDbMember(name ?? $"{host}:{port}", host, port, builder.UserID, builder.ConnectionString, timeout);
    }

    public async Task<MySqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(ConnectTimeout);
        try
        {
            return await ConnectionOpening.OpenAsync(new MySqlConnection(_connectionString), deadline.Token);
        }
        catch (Exception e) when (e is MySqlException or IOException or System.Net.Sockets.SocketException or InvalidOperationException
            or EndOfStreamException or FormatException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // Silent until the timeout: frozen, or another engine's server waiting for the client to speak first.
            if (!TimedOut(e)) throw Describe(e);
            var other = await Postgres.ForeignServerProbe.DescribeAsync(Host, Port, cancellationToken);
            if (other is not null && other != Postgres.ForeignServerProbe.GreetedAsMariaDb)
            {
                throw new DrToolsException(
                    $"{Display}: the server there does not answer as MariaDB or MySQL ({other}); is it another engine's port?",
                    DrErrorKind.ConnectionFailed, e);
            }
            // Greeting a second connection at once: the server is MariaDB, and was too slow (or its path) for the first.
            var late = other is null ? "" : " (a new connection asked after it was greeted at once: a busy server, or its path)";
            throw new DrToolsException($"{Display}: cannot connect: no answer within {DurationText.Format(ConnectTimeout)}{late}",
                DrErrorKind.Timeout, e);
        }
    }

    private static bool TimedOut(Exception e) =>
        e is OperationCanceledException or TimeoutException or MySqlException { ErrorCode: MySqlErrorCode.CommandTimeoutExpired }
        || e.InnerException is { } inner && TimedOut(inner);

    /// <summary>A failure on this member in one line: wrong credentials, nothing listening, or a server that is not MariaDB.</summary>
    public DrToolsException Describe(Exception e)
    {
        return e switch
        {
            MySqlException { ErrorCode: MySqlErrorCode.AccessDenied }
                => new DrToolsException($"{Display}: MariaDB refused the credentials of user '{UserName}' (password not shown): "
                + $"{Secrets.Redaction.Text(e.Message)}", DrErrorKind.ConnectionFailed, e),
            MySqlException { ErrorCode: MySqlErrorCode.UnableToConnectToHost } when e.InnerException is not null
                && e.InnerException is not System.Net.Sockets.SocketException =>
                new DrToolsException($"{Display}: the server there does not answer as MariaDB or MySQL "
                    + $"({Secrets.Redaction.Text(e.InnerException.Message)}); is it another engine's port?",
                    DrErrorKind.ConnectionFailed, e),
            MySqlException { ErrorCode: MySqlErrorCode.UnableToConnectToHost }
                => new DrToolsException($"{Display}: cannot connect: {Secrets.Redaction.Text(e.InnerException?.Message ?? e.Message)}",
                DrErrorKind.ConnectionFailed, e),
            MySqlException mysql => new DrToolsException($"{Display}: {Secrets.Redaction.Text(mysql.Message)}",
                DrErrorKind.ConnectionFailed, e),
            _
                => new DrToolsException($"{Display}: the server there does not answer as MariaDB or MySQL "
                + $"({Secrets.Redaction.Text(e.Message)}); is it another engine's port?", DrErrorKind.ConnectionFailed, e),
        };
    }

    /// <summary>Runs statements; errors name the member.</summary>
    public async Task ExecuteAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await ExecuteAsync(connection, sql, cancellationToken, parameters);
    }

    internal async Task ExecuteAsync(MySqlConnection connection, string sql, CancellationToken cancellationToken, params (string Name,
        object? Value)[] parameters)
    {
        await using var command = new MySqlCommand(sql, connection);
        foreach (var (parameter, value) in parameters) command.Parameters.AddWithValue(parameter, value);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (MySqlException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw Describe(e);
        }
    }

    /// <summary>The rows of a query, each as column name → value (DBNull as null).</summary>
    public async Task<IReadOnlyList<IReadOnlyDictionary<string, object?>>> RowsAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await RowsAsync(connection, sql, cancellationToken);
    }

    internal async Task<IReadOnlyList<IReadOnlyDictionary<string, object?>>> RowsAsync(MySqlConnection connection, string sql,
        CancellationToken cancellationToken)
    {
        await using var command = new MySqlCommand(sql, connection);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var rows = new List<IReadOnlyDictionary<string, object?>>();
            while (await reader.ReadAsync(cancellationToken))
            {
                var row = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
                for (var i = 0; i < reader.FieldCount; i++) row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                rows.Add(row);
            }
            return rows;
        }
        catch (MySqlException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw Describe(e);
        }
    }
}
