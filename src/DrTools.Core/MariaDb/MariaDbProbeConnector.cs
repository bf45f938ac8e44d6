using DrTools.Core.Probes;
using MySqlConnector;

namespace DrTools.Core.MariaDb;

/// <summary>
/// The path of a MariaDB application that knows every member and writes to the one that accepts writes (as a
/// read-write split proxy or a multi-host client with a writability check does): each new connection tries the
/// members in order and keeps the first not read-only (for reads, the first that answers).
/// </summary>
internal sealed class MariaDbProbeConnector(IReadOnlyList<MariaDbMember> members, ProbeKind kind, TimeSpan attemptTimeout) : IProbeConnector
{
    public string Path => $"MySqlConnector as user '{members[0].UserName}' to {string.Join(",", members.Select(m => m.Endpoint))}, "
        + $"the first member {(kind == ProbeKind.Write ? "with @@read_only = 0" : "that answers")}, a new connection after each failed "
        + $"attempt (connect timeout {DurationText.Format(PerMember)} per member)";
    public string? ClientSettingsNote => null;
    public string WriteStatement => $"inserts into {MariaDbCluster.Schema}.{Probe.Table}";
    public string ReadStatement => $"selects of the run's newest {Probe.ReadNewest} sequences";
    public string ProbeData => $"{MariaDbCluster.Schema}.{Probe.Table}";

    /// <summary>
    /// The server refused the statement: read-only (1290, 1836), a duplicate key (1062) or no such table (1146); it did
    /// not take effect.
    /// </summary>
    public bool Refused(Exception error) => error is MySqlException { Number: 1290 or 1836 or 1062 or 1146 };

    private TimeSpan PerMember => MemberWalk.PerMember(attemptTimeout, members.Count);

    public Task<IProbeSession> OpenAsync(CancellationToken cancellationToken) => MemberWalk.FirstAsync(members, PerMember,
        kind == ProbeKind.Write ? "accepts writes" : "answers",
        async (member, token) =>
        {
            var connection = await member.OpenAsync(token);
            try
            {
                await using var check = new MySqlCommand("select @@read_only", connection);
                if (kind == ProbeKind.Read || Convert.ToInt32(await check.ExecuteScalarAsync(token)) == 0) return (new Session(member,
                    connection), null);
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
            await connection.DisposeAsync();
            return (null, "is read-only");
        },
        (_, e) => e.Message, cancellationToken);

    private sealed class Session(MariaDbMember member, MySqlConnection connection) : IProbeSession
    {
        public string? Host => member.Endpoint;

        public async Task<ProbeAnswer> AttemptAsync(ProbeKind kind, Guid runId, long sequence, CancellationToken cancellationToken)
        {
            await using var command = kind == ProbeKind.Write
                ? new MySqlCommand($"insert into {MariaDbCluster.Schema}.{Probe.Table} (run_id, seq) values (@run, @seq)", connection)
                : new MySqlCommand($"select seq from {MariaDbCluster.Schema}.{Probe.Table} where run_id = @run "
                    + $"order by seq desc limit {Probe.ReadNewest}", connection);
            command.Parameters.AddWithValue("@run", runId.ToString());
            if (kind == ProbeKind.Write)
            {
                command.Parameters.AddWithValue("@seq", sequence);
                await command.ExecuteNonQueryAsync(cancellationToken);
                return new ProbeAnswer(member.Endpoint);
            }
            var observed = new List<long>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) observed.Add(reader.GetInt64(0));
            return new ProbeAnswer(member.Endpoint, observed);
        }

        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }
}
