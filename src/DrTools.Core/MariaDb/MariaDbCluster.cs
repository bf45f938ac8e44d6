using DrTools.Core.Cluster;
using DrTools.Core.Engines;
using MySqlConnector;

namespace DrTools.Core.MariaDb;

/// <summary>
/// A MariaDB primary with GTID replicas: its status, lag and positions, and (in MariaDbCluster.Failover.cs) what a
/// drill does to it. The primary is the one member that replicates from nobody and is not read-only.
/// </summary>
public sealed partial class MariaDbCluster : IReplicaSet
{
    public const string Schema = "drtools";

    private readonly IMemberProcesses? _processes;

    public MariaDbCluster(string name, IReadOnlyList<MariaDbMember> members, bool allowDrill, IMemberProcesses? processes = null)
    {
        Name = name;
        Members = members;
        AllowDrill = allowDrill;
        _processes = processes;
    }

    public string Name { get; }
    public string Engine => StoreEngines.MariaDb;
    public bool AllowDrill { get; }
    public IReadOnlyList<MariaDbMember> Members { get; }

    /// <summary>
    /// The members as the probes reach them: a sandbox's application account, which read_only stops; else
    /// <see cref="Members"/> (an account with READ ONLY ADMIN writes through read_only, so a fence then relies on the
    /// global read lock alone).
    /// </summary>
    public IReadOnlyList<MariaDbMember> ProbeMembers { get => field ?? Members; init; }
    IReadOnlyList<IStoreMember> IDrillTarget.Members => Members;
    public string PositionKind => "GTID position";
    public string LagUnit => "GTID transactions";

    public LagMethod LagMethod(Replication.ReplicationLagOptions options, TimeSpan catchUpLimit) => new(options.MaxLagTransactions,
        "the primary's @@gtid_binlog_pos minus the replica's @@gtid_current_pos, in transactions (per GTID domain, summed; "
        + "a replica beyond the primary's binlog in any domain is diverged, not measured)",
        "Seconds_Behind_Master as the replica reports it");

    /// <summary>A cluster given by connection strings; drills only on members named in <paramref name="allowDrillOn"/> or
    /// DRTOOLS_ALLOW_DRILL_ON.</summary>
    public static MariaDbCluster FromConnectionStrings(IReadOnlyList<string> connectionStrings, string? userName = null,
        string? password = null, TimeSpan? connectTimeout = null, IReadOnlyCollection<string>? allowDrillOn = null)
    {
        if (connectionStrings.Count == 0) throw new DrToolsException("no members given: pass at least one connection string.",
            DrErrorKind.InvalidArgument);
        var members = connectionStrings.Select((text, index) => MariaDbMember.Parse(text, index + 1, userName: userName, password: password,
            connectTimeout: connectTimeout)).ToList();
        DrillTargets.RefuseDuplicates(members);
        return new MariaDbCluster(string.Join(",", members.Select(m => m.Endpoint)), members, DrillTargets.AllowedByName(members,
            allowDrillOn, 3306));
    }

    public Task<IAsyncDisposable> LockDrillsAsync(string holder, CancellationToken cancellationToken) =>
        MariaDbDrillLock.AcquireAsync(this, cancellationToken);

    public MariaDbMember Member(string nameOrEndpoint) =>
        Members.FirstOrDefault(m => m.Name == nameOrEndpoint || m.Endpoint == nameOrEndpoint)
        ?? throw new DrToolsException($"'{nameOrEndpoint}' is not a member of {Name} (members: "
            + $"{string.Join(", ", Members.Select(m => m.Display))}).", DrErrorKind.InvalidArgument);

    /// <summary>One member as it answered: its variables and, for a replica, SHOW SLAVE STATUS.</summary>
    private sealed record Observed(MariaDbMember Member, IReadOnlyDictionary<string, object?>? Variables, IReadOnlyDictionary<string,
        object?>? Replica, string? Error)
    {
        public string Text(string name) => Convert.ToString((Replica ?? Variables)?.GetValueOrDefault(name),
            System.Globalization.CultureInfo.InvariantCulture) ?? "";
        public string Variable(string name) => Convert.ToString(Variables?.GetValueOrDefault(name),
            System.Globalization.CultureInfo.InvariantCulture) ?? "";
        public bool ReadOnly => Variable("read_only") is "1" or "True";
        public bool Replicating => Replica is not null && Text("Slave_IO_Running") == "Yes" && Text("Slave_SQL_Running") == "Yes";
        public string? Upstream => Replica is null ? null : $"{Text("Master_Host")}:{Text("Master_Port")}";
    }

    /// <summary>1 when the session's account has READ_ONLY ADMIN (granted directly), which writes through read_only.</summary>
    private const string ReadOnlyAdminQuery = "select count(*) from information_schema.user_privileges "
        + "where privilege_type = 'READ_ONLY ADMIN' and grantee = concat('''', substring_index(current_user(), '@', 1), '''@''', "
        + "substring_index(current_user(), '@', -1), '''')";

    private static async Task<Observed> ObserveAsync(MariaDbMember member, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await member.OpenAsync(cancellationToken);
            var variables = (await member.RowsAsync(connection,
                "select @@version as version, @@read_only as read_only, @@gtid_binlog_pos as gtid_binlog_pos, @@gtid_current_pos as "
                    + "gtid_current_pos, @@gtid_slave_pos as gtid_slave_pos, " +
                "@@gtid_binlog_state as gtid_binlog_state, " +
                "@@rpl_semi_sync_master_enabled as semi_sync_master, @@rpl_semi_sync_slave_enabled as semi_sync_slave, " +
                $"@@server_id as server_id, ({ReadOnlyAdminQuery}) as read_only_admin", cancellationToken))[0];
            var replica = (await member.RowsAsync(connection, "show slave status", cancellationToken)).FirstOrDefault();
            return new Observed(member, variables, replica, null);
        }
        catch (DrToolsException e) when (!cancellationToken.IsCancellationRequested)
        {
            return new Observed(member, null, null, e.Message);
        }
    }

    public IRoleSource Roles() => new MariaDbRoles(Members);

    public async Task<ClusterStatus> GetStatusAsync(CancellationToken cancellationToken)
    {
        var observed = await Task.WhenAll(Members.Select(m => ObserveAsync(m, cancellationToken)));
        var members = observed.Select(Status).ToList();
        var problems = new List<string>();
        foreach (var down in observed.Where(o => o.Error is not null)) problems.Add($"{down.Member.Display} is unreachable: {down.Error}");
        var primaries = members.Where(m => m.Role == MemberRole.Primary).ToList();
        if (primaries.Count == 0
            && observed.Any(o => o.Error is null)) problems.Add("no primary: every reachable member is read-only or replicates");
        if (primaries.Count > 1) problems.Add($"{primaries.Count} primaries (split brain): "
            + $"{string.Join(", ", primaries.Select(p => p.Display))} all accept writes");
        var primary = primaries.Count == 1 ? observed.Single(o => o.Member.Name == primaries[0].Name) : null;
        // Members are read at once: a write committed meanwhile puts a replica ahead of the primary's position read before
        // it. Divergence is judged against the primary read again after every replica was.
        var primaryAfter = primary;
        if (primary is not null && observed.Any(o => o.Error is null && o != primary && Divergence(o, primary) is not null)
            && await ObserveAsync(primary.Member, cancellationToken) is { Error: null } again)
        {
            primaryAfter = again;
        }
        foreach (var replica in observed.Where(o => o.Error is null && o.Member.Name != primary?.Member.Name))
        {
            var index = members.FindIndex(m => m.Name == replica.Member.Name);
            if (replica.Replica is null)
            {
                problems.Add($"{replica.Member.Display} is read-only and replicates from nobody");
                // Nothing makes it replicate but a CHANGE MASTER (a rejoin refused leaves it so).
                members[index] = members[index] with
                {
                    ReplicationError = "it is read-only and replicates from nobody", ReplicationHalted = true,
                };
            }
            else if (!replica.Replicating)
            {
                var (why, halted) = NotReplicating(replica, primary);
                problems.Add($"{replica.Member.Display} is not replicating: {why}");
                members[index] = members[index] with { ReplicationError = why, ReplicationHalted = halted };
            }
            else if (primary is not null && !ClusterInspector.SameEndpoint(replica.Upstream!, primary.Member.Endpoint))
            {
                problems.Add($"{replica.Member.Display} replicates from {replica.Upstream}, not from the primary {primary.Member.Display}");
            }
            if (primaryAfter is not null && Divergence(replica, primaryAfter) is { } divergence)
            {
                problems.Add($"{replica.Member.Display} is {divergence}");
                members[index] = members[index] with { Divergence = divergence };
            }
        }
        return new ClusterStatus(Name, DateTimeOffset.UtcNow, members, [], problems)
        {
            Engine = Engine, PositionName = "GTID", Warnings = ProbeAccountWarnings(observed),
        };
    }

    /// <summary>
    /// The members whose account, which the probes write as, has READ_ONLY ADMIN: read_only does not stop it, so the
    /// probes would write to a member an application could not (a sandbox's probes use its application account).
    /// </summary>
    private List<string> ProbeAccountWarnings(IEnumerable<Observed> observed) => ReferenceEquals(ProbeMembers, Members)
        ? observed.Where(o => o.Variable("read_only_admin") is "1").Select(o => $"{o.Member.Display}: the account '{o.Member.UserName}', "
            + "which the probes write as, has READ_ONLY ADMIN: read_only does not stop its writes as it stops an application's "
            + "(docs/engines.md)").ToList()
        : [];

    /// <summary>
    /// Why a replica does not replicate, from its own SHOW SLAVE STATUS; halted when a thread ended (MariaDB restarts
    /// neither by itself; an IO thread still Connecting retries every master_connect_retry).
    /// </summary>
    private static (string Why, bool Halted) NotReplicating(Observed replica, Observed? primary)
    {
        var (io, sql) = (replica.Text("Slave_IO_Running"), replica.Text("Slave_SQL_Running"));
        var threads = $"IO thread {io}, SQL thread {sql}";
        var ioError = replica.Text("Last_IO_Error");
        var error = new[] { ioError, replica.Text("Last_SQL_Error") }.FirstOrDefault(e => e.Length > 0);
        var halted = io == "No" || sql == "No";
        // Error 1236: the primary's binlog lacks the GTID the replica asks to continue from, which it has.
        if (primary is not null && replica.Text("Last_IO_Errno") == "1236"
            && ioError.Contains("not in the master's binlog", StringComparison.Ordinal))
        {
            var name = primary.Member.Name;
            return ($"it has transactions {name} lacks (its GTID {Gtid.Position(replica.Variable("gtid_current_pos")).Text}, {name} at "
                + $"{Gtid.Position(primary.Variable("gtid_binlog_pos")).Text}); rebuild it ({threads}: {ioError})", halted);
        }
        return (error is null ? threads : $"{threads}: {error}", halted);
    }

    /// <summary>
    /// What a replica applied that the primary's binlog lacks (a domain beyond it, or one it lacks: a RESET MASTER, a
    /// fork): it is not in sync whatever it streams, and no count of transactions measures how far it is from the primary.
    /// </summary>
    private static string? Divergence(Observed replica, Observed primary)
    {
        var (applied, binlog) = (replica.Variable("gtid_current_pos"), primary.Variable("gtid_binlog_pos"));
        return Gtid.Holds(binlog, applied) && Gtid.Wrote(primary.Variable("gtid_binlog_state"), applied) ? null
            : $"ahead of the primary: its GTID {Gtid.Position(applied).Text}, the primary's binlog at {Gtid.Position(binlog).Text}: "
                + "diverged";
    }

    private static MemberStatus Status(Observed o)
    {
        var member = o.Member;
        if (o.Error is not null) return new MemberStatus(member.Name, member.Endpoint, MemberRole.Unreachable) { Error = o.Error };
        var role = o.Replica is null && !o.ReadOnly ? MemberRole.Primary : MemberRole.Standby;
        var semiSync = role == MemberRole.Primary ? o.Variable("semi_sync_master") : o.Variable("semi_sync_slave");
        return new MemberStatus(member.Name, member.Endpoint, role)
        {
            ServerVersion = o.Variable("version"),
            CurrentLsn = role == MemberRole.Primary ? NullIfEmpty(o.Variable("gtid_binlog_pos")) : null,
            ReceivedLsn = o.Replica is null ? null : NullIfEmpty(o.Text("Gtid_IO_Pos")),
            ReplayedLsn = role == MemberRole.Standby ? NullIfEmpty(o.Variable("gtid_current_pos")) : null,
            WalReceiverStatus = o.Replica is null ? null : $"IO {o.Text("Slave_IO_Running")}, SQL {o.Text("Slave_SQL_Running")}",
            Upstream = o.Upstream,
            ReplicationState = o.Replica is null ? null : o.Replicating ? "streaming" : "stopped",
            SyncState = o.Replica is null ? null : semiSync is "1" or "True" ? "semi-sync" : "async",
            LagSeconds = o.Replica is null ? null : double.TryParse(o.Text("Seconds_Behind_Master"),
                System.Globalization.CultureInfo.InvariantCulture, out var seconds) ? seconds : null,
        };
    }

    /// <summary>
    /// DrTools' schema and one table in it, one statement at a time: a semi-synchronous primary answers the second
    /// statement of a multi-statement packet only after rpl_semi_sync_master_timeout (10 s).
    /// </summary>
    internal static async Task CreateAsync(MariaDbMember primary, string createTable, CancellationToken cancellationToken)
    {
        await primary.ExecuteAsync($"create database if not exists {Schema}", cancellationToken);
        await primary.ExecuteAsync(createTable, cancellationToken);
    }

    private static string? NullIfEmpty(string text) => text.Length == 0 ? null : text;

    public async Task<ReplicaPosition> AppliedPositionAsync(string member, CancellationToken cancellationToken) =>
        Gtid.Position(await AppliedGtidAsync(Member(member), cancellationToken));

    private static async Task<string?> AppliedGtidAsync(MariaDbMember member, CancellationToken cancellationToken) =>
        (await member.RowsAsync("select @@gtid_current_pos as pos", cancellationToken))[0]["pos"] as string;

    public async Task<IReadOnlyList<LagSample>> SampleLagAsync(TimeSpan catchUpLimit, CancellationToken cancellationToken)
    {
        var status = await GetStatusAsync(cancellationToken);
        var primary = status.PrimaryForLag(Name);
        return status.Standbys
            .Select(s => new LagSample(s.Display, primary.Display, Gtid.Behind(primary.CurrentLsn, s.ReplayedLsn), s.LagSeconds)).ToList();
    }

    public async Task<IReadOnlyDictionary<string, TimeSpan?>> HeartbeatAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var status = await GetStatusAsync(cancellationToken);
        var primary = Member(status.PrimaryForLag(Name).Name);
        var token = Guid.NewGuid().ToString();
        await CreateAsync(primary,
            $"create table if not exists {Schema}.drtools_heartbeat (id int primary key, token varchar(36) not null) engine=InnoDB",
            cancellationToken);
        var sent = System.Diagnostics.Stopwatch.GetTimestamp();
        await primary.ExecuteAsync($"replace into {Schema}.drtools_heartbeat values (1, @token)", cancellationToken, ("@token", token));
        var arrivals = await Task.WhenAll(status.Standbys.Select(async s =>
        {
            var replica = Member(s.Name);
            await using var connection = await replica.OpenAsync(cancellationToken);
            TimeSpan? arrived = null;
            await Polling.UntilAsync(async () =>
            {
                var rows = await replica.RowsAsync(connection, $"select token from {Schema}.drtools_heartbeat where id = 1",
                    cancellationToken).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : [], TaskScheduler.Default);
                if (rows.Count == 0 || rows[0]["token"] as string != token) return false;
                arrived = System.Diagnostics.Stopwatch.GetElapsedTime(sent);
                return true;
            }, timeout, TimeSpan.FromMilliseconds(2), cancellationToken);
            return (s.Display, arrived);
        }));
        return arrivals.ToDictionary(a => a.Display, a => a.arrived);
    }

    public async Task<Postgres.DbQueryResult> QueryAsync(string query, string? member, CancellationToken cancellationToken)
    {
        var server = Member(await Stores.MemberOrPrimaryAsync(this, member, "query", cancellationToken));
        var clock = new MonotonicClock();
        return await WithConnectionAsync(server, async connection =>
        {
            await using var command = new MySqlCommand(query, connection) { CommandTimeout = 0 };
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var rows = new List<IReadOnlyDictionary<string, object?>>();
            do
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var row = new Dictionary<string, object?>();
                    for (var i = 0; i < reader.FieldCount; i++) row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                    rows.Add(row);
                }
            }
            while (await reader.NextResultAsync(cancellationToken));
            return new Postgres.DbQueryResult(server.Display, query, reader.RecordsAffected, rows, clock.Elapsed);
        }, cancellationToken);
    }

    /// <summary>The connection and statements that run on one member for the length of an operation.</summary>
    private static async Task<T> WithConnectionAsync<T>(MariaDbMember member, Func<MySqlConnection, Task<T>> work,
        CancellationToken cancellationToken)
    {
        await using var connection = await member.OpenAsync(cancellationToken);
        try
        {
            return await work(connection);
        }
        catch (MySqlException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw member.Describe(e);
        }
    }
}
