using DrTools.Core.Postgres;
using DrTools.Core.Probes;
using Npgsql;

namespace DrTools.Core.Failover;

/// <summary>
/// PostgreSQL's side of "observe until the topology settles", for the drills DrTools and Patroni recover: every member
/// asked its own role (pg_is_in_recovery) every <see cref="Interval"/> from before the fault, on a connection per member
/// kept open, so that two primaries at once are seen whenever they happen — also a second one gone again before the end —
/// and the settling itself: one primary, a probe write read back from it.
/// </summary>
internal sealed class PostgresSettling : IAsyncDisposable
{
    /// <summary>The plan's step.</summary>
    public const string Step = "observe until the topology settles: exactly one reachable member says it is the primary "
        + "(pg_is_in_recovery, every member every 20 ms from before the fault), every other reachable one that it is not, and a "
        + "probe write it acknowledged is read back from it; two members saying they are the primary at any moment FAILs the "
        + "drill, and writes another member acknowledges once it is primary are split-brain writes";

    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    /// <summary>A member that takes longer than this to say its role counts as unreachable in that round (a frozen one).</summary>
    private static readonly TimeSpan AskTimeout = TimeSpan.FromMilliseconds(500);

    private readonly DbTarget _target;
    private readonly KeptRoleConnections<NpgsqlConnection> _connections;
    /// <summary>The server as it names itself (what the probes record: behind a proxy, not the port connected to) to its member.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DbMember> _servers = new();
    private readonly RoleWatch _watch;
    /// <summary>The figure of a wait for the topology that gave up at the phase timeout; null while none did.</summary>
    private Measurement? _neverSettled;

    private PostgresSettling(DbTarget target, MonotonicClock clock)
    {
        _target = target;
        _connections = new KeptRoleConnections<NpgsqlConnection>(target.Members.Count, AskTimeout);
        _watch = RoleWatch.Start(ReadRolesAsync, clock, Interval);
    }

    public static PostgresSettling Start(DbTarget target, MonotonicClock clock) => new(target, clock);

    /// <summary>
    /// Waits until exactly one reachable member says it is the primary, every other reachable one says it is not, and a
    /// probe write that member acknowledged since <paramref name="since"/> was read back from it; throws when another member
    /// than <paramref name="expected"/> (<paramref name="expectedAs"/>, for the message) is that primary. Marks the timeline;
    /// the watch goes on (<see cref="WatchOnAsync"/>). Returns the final primary as the server names itself, primary since
    /// <paramref name="since"/>:
    /// after <paramref name="timeout"/>, <paramref name="expected"/>, and the drill FAILs on what never settled
    /// (<see cref="WithSplitBrain"/>).
    /// </summary>
    public async Task<FinalPrimary> SettleAsync(Probe writes, TimeSpan since, string expected, string expectedAs, Timeline timeline,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        var expectedServer = _servers.FirstOrDefault(s => s.Value.Name == expected).Key ?? _target.Member(expected).Endpoint;
        var topology = await _watch.WaitSettledAsync(
            (member, token) => Settling.ReadBackAsync(writes, since, member,
                (at, sequence, t) => HoldsAsync(_servers[at], writes.RunId, sequence, t), token),
            expectedServer, timeout, cancellationToken);
        var server = topology.Primary;
        if (topology.NeverSettled is not null)
        {
            _neverSettled = topology.NeverSettledFigure(timeout);
            await StopAsync(timeline);
            timeline.Mark("topology never settled", topology.Statement, topology.At);
            return new FinalPrimary(server, since);
        }
        var settled = _servers[server];
        if (settled.Name != expected)
        {
            throw new DrToolsException($"the topology settled with {settled.Display} as the primary, not {expectedAs}.",
                DrErrorKind.InvalidOperation);
        }
        timeline.Mark("topology settled",
            $"{settled.Display} alone says it is the primary; a probe write it acknowledged was read back from it; {topology.Statement}",
            topology.At);
        return new FinalPrimary(server, since);
    }

    /// <summary>
    /// Watches the roles on for <paramref name="settle"/> once the topology settled, then stops: a member back as a primary
    /// just after the settling (an old primary a supervisor restarted) is a split brain, not a topology that held.
    /// </summary>
    public async Task WatchOnAsync(TimeSpan settle, Timeline timeline, CancellationToken cancellationToken)
    {
        await Task.Delay(settle, cancellationToken);
        await StopAsync(timeline);
    }

    /// <summary>Two or more members that said they were the primary at once, at any poll so far (null when never).</summary>
    public SplitBrainWindow? SplitBrain => RoleWatch.SplitBrain(_watch.Rounds);

    /// <summary>Stops the watch once the topology settled; a split brain it saw goes on the timeline.</summary>
    private async Task StopAsync(Timeline timeline)
    {
        await _watch.DisposeAsync();
        timeline.MarkSplitBrain(SplitBrain);
    }

    /// <summary>The result with the split brain the watch saw as its first split-brain figure (not met above 0 s), and the
    /// figure of a wait for the topology that gave up (not met).</summary>
    public FailoverResult WithSplitBrain(FailoverResult result) => result with
    {
        SplitBrainFigures =
        [
            RoleWatch.Figure(SplitBrain,
                $"each member's own role (pg_is_in_recovery) every {DurationText.Format(Interval)} from before the fault",
                result.TopologyAfter),
            .. result.SplitBrainFigures,
            .. _neverSettled is { } never ? [never] : Array.Empty<Measurement>(),
        ],
    };

    private async Task<IReadOnlyList<RoleReading>> ReadRolesAsync(CancellationToken cancellationToken) =>
        await Task.WhenAll(_target.Members.Select((member, index) =>
            _connections.ReadAsync(index, member.Endpoint, open => AskAsync(member, open), e => e.Message, cancellationToken)));

    /// <summary>
    /// Asks on the member's open connection, else a new one; a connection that failed is closed. Without a token: Npgsql's
    /// cancellation of a query on a frozen server waits on that server (the reader's deadline ends the wait instead), and
    /// its own timeouts end a late ask.
    /// </summary>
    private async Task<(NpgsqlConnection Connection, RoleReading Reading)> AskAsync(DbMember member, NpgsqlConnection? open)
    {
        var connection = open ?? await OpenAsync(member);
        try
        {
            await using var command = new NpgsqlCommand(
                "select pg_is_in_recovery(), host(inet_server_addr()) || ':' || inet_server_port()", connection);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            var (standby, server) = (reader.GetBoolean(0), reader.IsDBNull(1) ? member.Endpoint : reader.GetString(1));
            _servers[server] = member;
            return (connection, new RoleReading(server, !standby, null));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task<NpgsqlConnection> OpenAsync(DbMember member)
    {
        var builder = member.CreateBuilder();
        builder.ApplicationName = "drtools-role-watch";
        return await ConnectionOpening.OpenAsync(new NpgsqlConnection(builder.ConnectionString), CancellationToken.None);
    }

    private static Task<bool> HoldsAsync(DbMember member, Guid runId, long sequence, CancellationToken cancellationToken) =>
        member.QueryAsync($"select exists (select 1 from {Probe.Table} where run_id = '{runId}' and seq = {sequence})",
            r => r.GetBoolean(0), cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _watch.DisposeAsync();
        await _connections.DisposeAsync();
    }
}
