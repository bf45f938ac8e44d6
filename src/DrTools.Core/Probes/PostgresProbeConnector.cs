using Npgsql;

namespace DrTools.Core.Probes;

/// <summary>PostgreSQL's probe path: Npgsql, unpooled, through a (multi-host) connection string.</summary>
internal sealed class PostgresProbeConnector : IProbeConnector
{
    private readonly string _connectionString;

    public PostgresProbeConnector(string connectionString, TimeSpan attemptTimeout)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
        // Npgsql tries GSS encryption first unless told not to, and opens another connection when the first is closed in
        // that exchange: a proxy cutting new connections (handing them to a server that is gone) was hidden from the
        // probe, while an application's libpq, which tries GSS only with Kerberos credentials, failed.
        if (builder.GssEncryptionMode != GssEncryptionMode.Require) builder.GssEncryptionMode = GssEncryptionMode.Disable;
        // Npgsql's Timeout holds for each host in turn: a host that drops packets (a partition, a dead machine) must
        // leave the attempt time to try the next ones, as an application's connect timeout would.
        var hosts = builder.Host?.Split(',').Length ?? 1;
        builder.Timeout = Math.Max(1, (int)Math.Floor(attemptTimeout.TotalSeconds / hosts));
        _connectionString = builder.ConnectionString;
        Path = $"Host={builder.Host}{(builder.Host?.Contains(',') == false && !builder.Host.Contains(':') ? $":{builder.Port}" : "")}; "
            + $"Target Session Attributes={builder.TargetSessionAttributes ?? "any"}; Host Recheck Seconds={builder.HostRecheckSeconds}; "
            + $"Timeout={builder.Timeout}";
        ClientSettingsNote = builder.Host?.Contains(',') == true && builder.HostRecheckSeconds > 0
            ? $"the connection string's Host Recheck Seconds={builder.HostRecheckSeconds} lets Npgsql keep a host's old role cached for up "
                + $"to {builder.HostRecheckSeconds} s, so this figure can be dominated by the client's cache rather than the cluster (set "
                + $"Host Recheck Seconds=0 to measure the cluster alone)"
            : null;
    }

    public string Path { get; }
    public string? ClientSettingsNote { get; }
    public string WriteStatement => $"inserts into {Probe.Table}";
    public string ReadStatement => $"selects of the run's newest {Probe.ReadNewest} sequences";
    public string ProbeData => Probe.Table;

    /// <summary>
    /// An error the server raised for the statement rolled it back, except those that end the session (class 57,
    /// e.g. a shutdown while the commit waited for a synchronous standby: committed locally) or the server (08, 53, 58, XX).
    /// </summary>
    public bool Refused(Exception error) =>
        error is PostgresException { SqlState: var state } && state[..2] is not ("08" or "53" or "57" or "58" or "XX");

    public async Task<IProbeSession> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return new Session(connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private sealed class Session(NpgsqlConnection connection) : IProbeSession
    {
        /// <summary>host:port as the other members are named, taken once open: a dropped connection may no longer say.</summary>
        public string? Host { get; } = connection.Host is { } host ? $"{host}:{connection.Port}" : null;

        public async Task<ProbeAnswer> AttemptAsync(ProbeKind kind, Guid runId, long sequence, CancellationToken cancellationToken)
        {
            const string server = "host(inet_server_addr()) || ':' || inet_server_port()";
            await using var command = kind == ProbeKind.Write
                ? new NpgsqlCommand($"insert into {Probe.Table} (run_id, seq) values (@run, @seq) returning {server}", connection)
                : new NpgsqlCommand($"select {server}, array(select seq from {Probe.Table} where run_id = @run "
                    + $"order by seq desc limit {Probe.ReadNewest})", connection);
            command.Parameters.AddWithValue("run", runId);
            if (kind == ProbeKind.Write) command.Parameters.AddWithValue("seq", sequence);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var name = reader.IsDBNull(0) ? Host ?? "" : reader.GetString(0);
            return new ProbeAnswer(name, kind == ProbeKind.Read ? reader.GetFieldValue<long[]>(1) : null);
        }

        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }
}
