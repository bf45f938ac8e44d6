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
    public string Path => $"MySqlConnector to {string.Join(",", members.Select(m => m.Endpoint))}, the first member {(kind == ProbeKind.Write ? "with @@read_only = 0" : "that answers")}, a new connection after each failed attempt (connect timeout {DurationText.Format(PerMember)} per member)";
    public string? ClientSettingsNote => null;
    public string WriteStatement => $"inserts into {MariaDbCluster.Schema}.{Probe.Table}";
    public string ReadStatement => "one-row selects";
    public string ProbeData => $"{MariaDbCluster.Schema}.{Probe.Table}";

    /// <summary>Each member's share of an attempt: a member that drops packets must leave the attempt time for the next ones.</summary>
    private TimeSpan PerMember => TimeSpan.FromMilliseconds(Math.Max(200, attemptTimeout.TotalMilliseconds / members.Count));

    public async Task<IProbeSession> OpenAsync(CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        foreach (var member in members)
        {
            using var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            connect.CancelAfter(PerMember);
            MySqlConnection? connection = null;
            try
            {
                connection = await member.OpenAsync(connect.Token);
                if (kind == ProbeKind.Write)
                {
                    await using var check = new MySqlCommand("select @@read_only", connection);
                    if (Convert.ToInt32(await check.ExecuteScalarAsync(connect.Token)) != 0)
                    {
                        errors.Add($"{member.Endpoint} is read-only");
                        await connection.DisposeAsync();
                        continue;
                    }
                }
                return new Session(member, connection);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                if (connection is not null) await connection.DisposeAsync();
                errors.Add(e is OperationCanceledException ? $"{member.Endpoint}: no answer within {DurationText.Format(PerMember)}" : e.Message);
            }
        }
        throw new DrToolsException($"no member {(kind == ProbeKind.Write ? "accepts writes" : "answers")}: {string.Join("; ", errors)}", DrErrorKind.ConnectionFailed);
    }

    private sealed class Session(MariaDbMember member, MySqlConnection connection) : IProbeSession
    {
        public string? Host => member.Endpoint;

        public async Task<string> AttemptAsync(ProbeKind kind, Guid runId, long sequence, CancellationToken cancellationToken)
        {
            await using var command = kind == ProbeKind.Write
                ? new MySqlCommand($"insert into {MariaDbCluster.Schema}.{Probe.Table} (run_id, seq) values (@run, @seq)", connection)
                : new MySqlCommand("select 1", connection);
            if (kind == ProbeKind.Write)
            {
                command.Parameters.AddWithValue("@run", runId.ToString());
                command.Parameters.AddWithValue("@seq", sequence);
            }
            await command.ExecuteNonQueryAsync(cancellationToken);
            return member.Endpoint;
        }

        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }
}
