using System.Collections.Concurrent;
using DrTools.Core.Engines;
using MySqlConnector;

namespace DrTools.Core.MariaDb;

/// <summary>A sandbox's mariadbd processes, which can also rebuild a member from another.</summary>
public interface IMariaDbProcesses : IMemberProcesses
{
    /// <summary>
    /// Replaces the member's data with a copy of <paramref name="primary"/>'s (mariadb-backup) and makes it its replica;
    /// returns when the copy ran.
    /// </summary>
    Task<RebuildCopy> RebuildAsync(string member, MariaDbMember primary, CancellationToken cancellationToken);
}

// What a drill does to a MariaDB cluster: fence, promote, re-point, rejoin, kill and restart.
public sealed partial class MariaDbCluster
{
    /// <summary>Fences held by this process: the connection that holds a primary's global read lock.</summary>
    private readonly ConcurrentDictionary<string, MySqlConnection> _fences = new();
    /// <summary>Each promoted member's GTID position at its promotion: an old primary beyond it has writes the new one lacks.</summary>
    private readonly ConcurrentDictionary<string, string?> _promotedAt = new();

    public Failover.IRecovery Recovery(Failover.RecoveredBy? recoveredBy) => recoveredBy is null or Failover.RecoveredBy.DrTools
        ? new ReplicaSetDrill(this)
        : throw new DrToolsException($"recovered by {recoveredBy}: a MariaDB cluster is failed over by DrTools (-RecoveredBy DrTools).",
            DrErrorKind.InvalidArgument);

    public string? FaultDescription(string primary) => _processes is null ? null : $"SIGKILL of mariadbd of {Member(primary).Display}";

    public async Task<string> InjectFaultAsync(string primary, CancellationToken cancellationToken) =>
        await (_processes ?? throw new DrToolsException($"{Name}: DrTools cannot kill its members (not a sandbox).",
            DrErrorKind.InvalidOperation)).KillAsync(primary, cancellationToken);

    public async Task<string?> AcknowledgedOnceReplicatedAsync(string primary, CancellationToken cancellationToken)
    {
        var row = (await Member(primary).RowsAsync("select variable_value as active, @@rpl_semi_sync_master_wait_point as wait_point "
            + "from information_schema.global_status where variable_name = 'RPL_SEMI_SYNC_MASTER_STATUS'", cancellationToken))
            .SingleOrDefault();
        return row?["active"] is "ON"
            ? $"semi-synchronous replication was active on {primary} just before the fault (Rpl_semi_sync_master_status ON, wait "
                + $"point {row["wait_point"]}): every commit waited for a replica's acknowledgement, so none the most advanced "
                + "replica lacks was acknowledged"
            : null;
    }

    public async Task<bool> RestartAsync(string member, CancellationToken cancellationToken)
    {
        if (_processes is null) return false;
        await _processes.StartAsync(member, cancellationToken);
        // It restarts read-only (as every member does): the primary it was is writable again only by DrTools' say.
        await MakePrimaryAsync(Member(member), cancellationToken);
        return true;
    }

    /// <summary>
    /// read_only for new writers, a global read lock for every writer (users with READ ONLY ADMIN ignore read_only), and
    /// the clients' connections killed so none waits on the lock: they reconnect to whichever member accepts writes.
    /// </summary>
    public async Task<ReplicaPosition> FenceAsync(string primary, CancellationToken cancellationToken)
    {
        var (connection, position) = await FenceMemberAsync(Member(primary), cancellationToken);
        _fences[primary] = connection;
        return Gtid.Position(position);
    }

    /// <summary>The fence of <see cref="FenceAsync"/>, held while the connection is open, and the binlog position under it.</summary>
    private static async Task<(MySqlConnection Fence, string? BinlogPosition)> FenceMemberAsync(MariaDbMember member,
        CancellationToken cancellationToken)
    {
        var connection = await member.OpenAsync(cancellationToken);
        try
        {
            await member.ExecuteAsync(connection, "set global read_only = 1; flush tables with read lock", cancellationToken);
            foreach (var row in await member.RowsAsync(connection,
                "select id from information_schema.processlist where id <> connection_id() and user not in ('system user', "
                    + "'event_scheduler') and command not in ('Binlog Dump', 'Daemon')", cancellationToken))
            {
                try
                {
                    await member.ExecuteAsync(connection, $"kill connection {Convert.ToInt64(row["id"])}", cancellationToken);
                }
                catch (DrToolsException)
                {
                    // gone by itself meanwhile
                }
            }
            return (connection, await BinlogPositionAsync(member, connection, cancellationToken));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task<string?> BinlogPositionAsync(MariaDbMember member, MySqlConnection connection,
        CancellationToken cancellationToken) =>
        (await member.RowsAsync(connection, "select @@gtid_binlog_pos as pos", cancellationToken))[0]["pos"] as string;

    public async Task UnfenceAsync(string primary, CancellationToken cancellationToken)
    {
        if (_fences.TryRemove(primary, out var connection)) await connection.DisposeAsync(); // releases the read lock
        await MakePrimaryAsync(Member(primary), cancellationToken);
    }

    public async Task WaitAppliedAsync(string replica, ReplicaPosition position, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var member = Member(replica);
        var rows = await member.RowsAsync($"select master_gtid_wait('{position.Text.Replace("'", "")}', "
            + $"{timeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}) as waited", cancellationToken);
        if (Convert.ToInt32(rows[0]["waited"]) != 0)
        {
            throw new DrToolsException($"{member.Display} did not apply up to GTID {position} within {DurationText.Format(timeout)} (at "
                + $"{await AppliedPositionAsync(replica, cancellationToken)}).", DrErrorKind.Timeout);
        }
    }

    public async Task<(ReplicaPosition Applied, bool Settled, string How)> ReplicaAfterFaultAsync(string replica, bool primaryUnreachable,
        CancellationToken cancellationToken)
    {
        var member = Member(replica);
        var status = (await member.RowsAsync("show slave status", cancellationToken)).FirstOrDefault()
            ?? throw new DrToolsException($"{member.Display} does not replicate.", DrErrorKind.InvalidOperation);
        var applied = await AppliedPositionAsync(replica, cancellationToken);
        var received = Gtid.SequenceSum(status["Gtid_IO_Pos"] as string);
        var io = status["Slave_IO_Running"] as string;
        var allApplied = applied.Value >= received
            && status["Slave_SQL_Running_State"] as string is null or "" or "Slave has read all relay log; waiting for more updates";
        var linkDown = io != "Yes";
        return (applied, allApplied && (linkDown || primaryUnreachable),
            linkDown ? $"its IO thread was {io}" : "its IO thread still said Yes; the primary was unreachable");
    }

    public async Task PromoteAsync(string replica, CancellationToken cancellationToken)
    {
        var member = Member(replica);
        await member.ExecuteAsync("stop slave; reset slave all", cancellationToken);
        // Where it took over, read while it still takes no writes: read after, it may already hold a write of its own with
        // the sequence number of an old primary's transaction it never received, and the rejoin would miss that fork.
        _promotedAt[replica] = await AppliedGtidAsync(member, cancellationToken);
        await MakePrimaryAsync(member, cancellationToken);
    }

    /// <summary>Writable, and the semi-sync master when the cluster is semi-synchronous (its replicas acknowledge: the member's own replica
    /// setting says so).</summary>
    internal async Task MakePrimaryAsync(MariaDbMember member, CancellationToken cancellationToken) =>
        await member.ExecuteAsync("set global rpl_semi_sync_master_enabled = @@rpl_semi_sync_slave_enabled; set global read_only = 0",
            cancellationToken);

    public Task RepointAsync(string replica, string newPrimary, CancellationToken cancellationToken) =>
        ReplicateFromAsync(Member(replica), Member(newPrimary), fromOwnBinlog: false, cancellationToken);

    /// <param name="fromOwnBinlog">For a former primary: it continues from its own binlog's position, not a replica position it may never
    /// have had.</param>
    internal static async Task ReplicateFromAsync(MariaDbMember replica, MariaDbMember primary, bool fromOwnBinlog,
        CancellationToken cancellationToken)
    {
        // current_pos, not gtid_slave_pos set from @@gtid_binlog_pos: setting gtid_slave_pos waits for a fence's global read lock.
        var from = fromOwnBinlog ? "current_pos" : "slave_pos";
        await replica.ExecuteAsync(
            "stop slave; set global read_only = 1; set global rpl_semi_sync_master_enabled = 0; change master to master_host = @host, "
            + $"master_port = @port, master_user = @user, master_password = @password, master_use_gtid = {from}, master_connect_retry = 1; "
            + "start slave",
            cancellationToken, ("@host", primary.Host), ("@port", primary.Port), ("@user", primary.UserName), ("@password",
                primary.Password));
    }

    /// <summary>
    /// The old primary rejoins fenced: a switchover's fence, or one taken as soon as a killed old primary is started again,
    /// holds from before its position is read until it replicates, so no client's write lands in between and is discarded
    /// uncounted.
    /// </summary>
    public async Task<RejoinOutcome> RejoinAsync(string oldPrimary, string newPrimary, CancellationToken cancellationToken)
    {
        var old = Member(oldPrimary);
        if (!_fences.TryRemove(oldPrimary, out var fence))
        {
            if (_processes is not null && _processes.Pid(oldPrimary) is null) await _processes.StartAsync(oldPrimary, cancellationToken);
            (fence, _) = await FenceMemberAsync(old, cancellationToken);
        }
        try
        {
            var own = await BinlogPositionAsync(old, fence, cancellationToken);
            return await RejoinFencedAsync(old, Member(newPrimary), own, cancellationToken);
        }
        finally
        {
            await fence.DisposeAsync(); // releases the read lock; read_only stays
        }
    }

    /// <param name="own">The old primary's binlog position, read under the fence.</param>
    private async Task<RejoinOutcome> RejoinFencedAsync(MariaDbMember old, MariaDbMember newPrimary, string? own,
        CancellationToken cancellationToken)
    {
        if (!_promotedAt.TryGetValue(newPrimary.Name, out var promoted))
        {
            await ReplicateFromAsync(old, newPrimary, fromOwnBinlog: true, cancellationToken);
            return new(true, "replicates from the new primary by GTID")
            {
                Discarded = Failover.DiscardedTransactions.Unknown(
                    $"{newPrimary.Name} was not promoted by this drill: where it took over is not known"),
            };
        }
        // Writes the old primary took that never reached the new one: rejoining would fork history (GTID strict mode stops it).
        var discarded = new Failover.DiscardedTransactions(Gtid.Behind(own, promoted),
            $"GTID positions: what the old primary's binlog at {Gtid.Position(own)} holds beyond the new primary's applied position "
            + $"when it took over, {Gtid.Position(promoted)}, counted per GTID domain, read under a fence before the rejoin");
        if (Forked(promoted, own) is { } diverged)
        {
            if (_processes is not IMariaDbProcesses rebuilder)
            {
                await old.ExecuteAsync("set global read_only = 1", cancellationToken);
                return new(false, $"{diverged}; rebuild it from the new primary (left read-only)") { Discarded = discarded };
            }
            var copy = await rebuilder.RebuildAsync(old.Name, newPrimary, cancellationToken);
            return new(true, $"{diverged}: rebuilt from the new primary with mariadb-backup, those transactions discarded")
            {
                Copy = copy,
                Discarded = discarded,
            };
        }
        await ReplicateFromAsync(old, newPrimary, fromOwnBinlog: true, cancellationToken);
        return new(true, "replicates from the new primary by GTID") { Discarded = discarded };
    }

    /// <summary>
    /// What an old primary whose binlog is at <paramref name="own"/> has that the member promoted at
    /// <paramref name="promoted"/> lacks, judged per GTID domain (sums hide a member ahead in one domain and behind in
    /// another); null when the promoted member holds all of it.
    /// </summary>
    internal static string? Forked(string? promoted, string? own) => Gtid.Holds(promoted, own) ? null
        : $"it had {Gtid.Behind(own, promoted)} transaction(s) the new primary lacks (its binlog at {Gtid.Position(own)}, "
            + $"the new primary took over at {Gtid.Position(promoted)})";

    public async Task PrepareProbeAsync(string primary, CancellationToken cancellationToken) =>
        await CreateAsync(Member(primary),
            $"create table if not exists {Schema}.{Probes.Probe.Table} (run_id varchar(36) not null, seq bigint not null, sent_at "
            + $"timestamp(6) not null default current_timestamp(6), primary key (run_id, seq)) engine=InnoDB", cancellationToken);

    public async Task<string?> ProbeTargetMissingAsync(string member, CancellationToken cancellationToken)
    {
        var target = Member(member);
        var rows = await target.RowsAsync("select count(*) as tables from information_schema.tables " +
            $"where table_schema = '{Schema}' and table_name = '{Probes.Probe.Table}'", cancellationToken);
        return Convert.ToInt64(rows[0]["tables"]) > 0 ? null
            : $"{target.Display} has no table {Schema}.{Probes.Probe.Table}, which the write probe writes to";
    }

    public async Task<IReadOnlySet<long>> ProbeSequencesAsync(string member, Guid runId, CancellationToken cancellationToken)
    {
        var target = Member(member);
        return await WithConnectionAsync(target, async connection =>
        {
            await using var query = new MySqlCommand($"select seq from {Schema}.{Probes.Probe.Table} where run_id = @run", connection);
            query.Parameters.AddWithValue("@run", runId.ToString());
            await using var reader = await query.ExecuteReaderAsync(cancellationToken);
            var present = new HashSet<long>();
            while (await reader.ReadAsync(cancellationToken)) present.Add(reader.GetInt64(0));
            return (IReadOnlySet<long>)present;
        }, cancellationToken);
    }

    public Probes.IProbeConnector ProbeConnector(Probes.ProbeKind kind, Probes.ProbeOptions options) =>
        new MariaDbProbeConnector(ProbeMembers, kind, options.AttemptTimeout);

    public Task<Integrity.DbChecksum> ChecksumAsync(string member, IReadOnlyList<string>? scope, CancellationToken cancellationToken) =>
        MariaDbChecksum.TakeAsync(Member(member), scope, cancellationToken);

    public Task<Func<CancellationToken, Task<Integrity.DbChecksum>>> PinChecksumAsync(string member, IReadOnlyList<string>? scope,
        CancellationToken cancellationToken) =>
        MariaDbChecksum.PinAsync(Member(member), scope, cancellationToken);
}
