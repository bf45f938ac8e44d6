using System.Globalization;
using DrTools.Core.Cluster;
using DrTools.Core.Engines;

namespace DrTools.Core.Redis;

/// <summary>
/// A Redis primary with replicas: status and offsets from INFO replication, and (in RedisCluster.Failover.cs) what a
/// drill does to it. Positions are replication offsets, which a promoted replica continues (PSYNC2).
/// </summary>
public sealed partial class RedisCluster : IReplicaSet
{
    /// <summary>The prefix of every key DrTools writes; checksums leave these keys out.</summary>
    public const string KeyPrefix = "drtools:";

    private readonly IRedisProcesses? _processes;

    public RedisCluster(string name, IReadOnlyList<RedisMember> members, bool allowDrill, IRedisProcesses? processes = null,
        IReadOnlyList<RedisMember>? sentinels = null)
    {
        Name = name;
        Members = members;
        AllowDrill = allowDrill;
        _processes = processes;
        Sentinels = sentinels ?? [];
    }

    public string Name { get; }
    public string Engine => StoreEngines.Redis;
    public bool AllowDrill { get; }
    public IReadOnlyList<RedisMember> Members { get; }
    IReadOnlyList<IStoreMember> IDrillTarget.Members => Members;
    /// <summary>The Sentinels watching the primary, when the cluster has them.</summary>
    public IReadOnlyList<RedisMember> Sentinels { get; }
    public string PositionKind => "replication offset";
    public string LagUnit => "bytes";

    public LagMethod LagMethod(Replication.ReplicationLagOptions options, TimeSpan catchUpLimit) => new(options.MaxLagBytes,
        "the primary's master_repl_offset minus the replica's slave_repl_offset (INFO replication), the primary read first",
        "the primary's master_repl_offset read before any replica is waited for, then the replica's processed offset (ROLE) "
        + "polled every 5 ms until it reaches it: the time the replica took to catch up with the primary, on one monotonic "
        + $"client clock (a replica that has not within {DurationText.Format(catchUpLimit)} counts as the time waited, longer)")
    {
        SecondsLimit = catchUpLimit.TotalSeconds,
    };

    public static RedisCluster FromAddresses(IReadOnlyList<string> addresses, string? password = null, TimeSpan? connectTimeout = null,
        IReadOnlyCollection<string>? allowDrillOn = null)
    {
        if (addresses.Count == 0) throw new DrToolsException("no members given: pass at least one Redis address.",
            DrErrorKind.InvalidArgument);
        var members = addresses.Select((text, index) => RedisMember.Parse(text, index + 1, password, connectTimeout)).ToList();
        DrillTargets.RefuseDuplicates(members);
        return new RedisCluster(string.Join(",", members.Select(m => m.Endpoint)), members, DrillTargets.AllowedByName(members,
            allowDrillOn, 6379));
    }

    public Task<IAsyncDisposable> LockDrillsAsync(string holder, CancellationToken cancellationToken) =>
        RedisDrillLock.AcquireAsync(this, holder, cancellationToken);

    public RedisMember Member(string nameOrEndpoint) =>
        Members.FirstOrDefault(m => m.Name == nameOrEndpoint || m.Endpoint == nameOrEndpoint)
        ?? throw new DrToolsException($"'{nameOrEndpoint}' is not a member of {Name} (members: "
            + $"{string.Join(", ", Members.Select(m => m.Display))}).", DrErrorKind.InvalidArgument);

    private sealed record Observed(RedisMember Member, IReadOnlyDictionary<string, string>? Replication, string? Version, string? Error)
    {
        public string Field(string name) => Replication?.GetValueOrDefault(name) ?? "";
        public bool IsPrimary => Field("role") == "master";
        public string? Upstream => IsPrimary ? null : $"{Field("master_host")}:{Field("master_port")}";
        public long Offset => long.TryParse(Field(IsPrimary ? "master_repl_offset" : "slave_repl_offset"), CultureInfo.InvariantCulture,
            out var offset) ? offset : 0;
    }

    private static async Task<Observed> ObserveAsync(RedisMember member, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await member.OpenAsync(cancellationToken, checkClusterMode: true);
            var replication = await connection.InfoAsync("replication", cancellationToken);
            var server = await connection.InfoAsync("server", cancellationToken);
            return new Observed(member, replication, server.GetValueOrDefault("redis_version"), null);
        }
        catch (DrToolsException e) when (e.Kind != DrErrorKind.InvalidArgument && !cancellationToken.IsCancellationRequested)
        {
            return new Observed(member, null, null, e.Message);
        }
        catch (Exception e) when (e is RedisErrorException or IOException && !cancellationToken.IsCancellationRequested)
        {
            return new Observed(member, null, null, member.Describe(e).Message);
        }
    }

    public IRoleSource Roles() => new RedisRoles(Members);

    public async Task<ClusterStatus> GetStatusAsync(CancellationToken cancellationToken)
    {
        var observed = await Task.WhenAll(Members.Select(m => ObserveAsync(m, cancellationToken)));
        var problems = new List<string>();
        foreach (var down in observed.Where(o => o.Error is not null)) problems.Add($"{down.Member.Display} is unreachable: {down.Error}");
        var primaries = observed.Where(o => o.Error is null && o.IsPrimary).ToList();
        if (primaries.Count == 0 && observed.Any(o => o.Error is null)) problems.Add("no primary: every reachable member is a replica");
        if (primaries.Count > 1) problems.Add($"{primaries.Count} primaries (split brain): "
            + $"{string.Join(", ", primaries.Select(p => p.Member.Display))} all accept writes");
        var primary = primaries.Count == 1 ? primaries[0] : null;
        foreach (var replica in observed.Where(o => o.Error is null && !o.IsPrimary))
        {
            if (replica.Field("master_link_status") != "up") problems.Add($"{replica.Member.Display} is not replicating "
                + $"(master_link_status {replica.Field("master_link_status")}, from {replica.Upstream})");
            else if (primary is not null && !ClusterInspector.SameEndpoint(replica.Upstream!,
                primary.Member.Endpoint)) problems.Add($"{replica.Member.Display} replicates from {replica.Upstream}, not from the primary "
                + $"{primary.Member.Display}");
        }
        var members = observed.Select(o => o.Error is not null
            ? new MemberStatus(o.Member.Name, o.Member.Endpoint, MemberRole.Unreachable) { Error = o.Error }
            : new MemberStatus(o.Member.Name, o.Member.Endpoint, o.IsPrimary ? MemberRole.Primary : MemberRole.Standby)
            {
                ServerVersion = o.Version,
                CurrentLsn = o.IsPrimary ? o.Offset.ToString(CultureInfo.InvariantCulture) : null,
                ReplayedLsn = o.IsPrimary ? null : o.Offset.ToString(CultureInfo.InvariantCulture),
                WalReceiverStatus = o.IsPrimary ? null : $"master_link_status {o.Field("master_link_status")}",
                Upstream = o.Upstream,
                ReplicationState = o.IsPrimary ? null : o.Field("master_link_status") == "up" ? "streaming" : "stopped",
                SyncState = o.IsPrimary ? null : "async",
                LagSeconds = !o.IsPrimary && double.TryParse(o.Field("master_last_io_seconds_ago"), CultureInfo.InvariantCulture,
                    out var quiet) && quiet >= 0 ? quiet : null,
            }).ToList();
        var checks = new List<string>();
        if (primary is not null) members = await DivergedAsync(primary, observed, members, problems, checks, cancellationToken);
        return new ClusterStatus(Name, DateTimeOffset.UtcNow, members, [], problems)
        {
            Engine = Engine, PositionName = "offset", Checks = checks,
        };
    }

    /// <summary>
    /// The members with each replica whose data differs from the primary's marked diverged (a write of its own that no
    /// offset shows), when that is cheap to know; <paramref name="checks"/> says what was compared.
    /// </summary>
    private static async Task<List<MemberStatus>> DivergedAsync(Observed primary, IReadOnlyList<Observed> observed,
        List<MemberStatus> members, List<string> problems, List<string> checks, CancellationToken cancellationToken)
    {
        var replicas = observed.Where(o => o.Error is null && !o.IsPrimary && o.Field("master_link_status") == "up")
            .Select(o => o.Member).ToList();
        if (replicas.Count == 0) return members;
        try
        {
            var (diverged, note) = await RedisReplicas.StatusAsync(primary.Member, replicas, cancellationToken);
            checks.Add(note);
            foreach (var (name, why) in diverged) problems.Add($"{members.First(m => m.Name == name).Display} is {why}");
            return members.Select(m => diverged.TryGetValue(m.Name, out var why) ? m with { Divergence = why } : m).ToList();
        }
        catch (Exception e) when (e is DrToolsException or RedisErrorException or IOException && !cancellationToken.IsCancellationRequested)
        {
            // A member that went away mid-read is the next status's to report; this one says the data was not compared.
            checks.Add($"the replicas' data was not compared with the primary's: {e.Message}");
            return members;
        }
    }

    public async Task<ReplicaPosition> AppliedPositionAsync(string member, CancellationToken cancellationToken)
    {
        var observed = await ObserveAsync(Member(member), cancellationToken);
        if (observed.Error is not null) throw new DrToolsException(observed.Error, DrErrorKind.ConnectionFailed);
        return new ReplicaPosition(observed.Offset, observed.Offset.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// How long a replica may take to reach the primary's offset when no time bound is held against it (with one, the
    /// bound); one that has not counts as lagging longer.
    /// </summary>
    public static readonly TimeSpan CatchUpTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CatchUpPoll = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// Seconds of lag are measured, never read: the primary's master_repl_offset first, then each replica's processed
    /// offset (ROLE) polled until it reaches it. master_last_io_seconds_ago is only the time since the last byte or
    /// ping from the primary (up to repl-ping-replica-period on an idle, healthy pair): it is returned as the link's
    /// idle time, apart.
    /// </summary>
    public async Task<IReadOnlyList<LagSample>> SampleLagAsync(TimeSpan catchUpLimit, CancellationToken cancellationToken)
    {
        var clock = new MonotonicClock();
        var (primary, head) = await PrimaryHeadAsync(cancellationToken);
        var read = clock.Elapsed;
        // Each replica is timed on its own from that reading, beside the status: one that keeps DrTools waiting (frozen) is
        // behind all that time, and the others are not held to that wait.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var timings = Members.Where(m => m.Name != primary.Name)
            .ToDictionary(m => m.Name, m => CatchUpAsync(m, head, clock, read, catchUpLimit, stop.Token));
        try
        {
            var status = await GetStatusAsync(cancellationToken);
            var primaryStatus = status.PrimaryForLag(Name);
            if (primaryStatus.Name != primary.Name)
            {
                throw new DrToolsException($"lag of {Name} cannot be measured: the primary moved from {primary.Display} to "
                    + $"{primaryStatus.Display} while it was read.", DrErrorKind.InvalidOperation);
            }
            return await Task.WhenAll(status.Standbys.Select(async standby =>
            {
                var (behind, seconds, idle) = await timings[standby.Name];
                return new LagSample(standby.Display, primaryStatus.Display, behind, seconds) { IdleSeconds = idle };
            }));
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(timings.Values).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// How far behind <paramref name="head"/> the replica is, and the seconds from <paramref name="read"/> until its processed
    /// offset reached it; not reached within <paramref name="limit"/>: the time waited, more than the limit (the poll gives
    /// up only past it), so a bound that is the limit is not met.
    /// </summary>
    private static async Task<(long Behind, double Seconds, double? Idle)> CatchUpAsync(RedisMember replica, long head,
        MonotonicClock clock, TimeSpan read, TimeSpan limit, CancellationToken cancellationToken)
    {
        await using var connection = await replica.OpenAsync(cancellationToken);
        var info = await connection.InfoAsync("replication", cancellationToken);
        var behind = Math.Max(0, head - OffsetOf(info, "slave_repl_offset"));
        double? idle = double.TryParse(info.GetValueOrDefault("master_last_io_seconds_ago"), CultureInfo.InvariantCulture,
            out var quiet) && quiet >= 0 ? quiet : null;
        TimeSpan? reached = null;
        await Polling.UntilAsync(async () =>
        {
            // ROLE: the offset the replica has processed (-1 while its link is down).
            var role = await replica.CommandAsync(connection, cancellationToken, "ROLE") as object?[];
            if (role?.ElementAtOrDefault(4) is not long offset || offset < head) return false;
            reached = clock.Elapsed;
            return true;
        }, limit, CatchUpPoll, cancellationToken);
        return (behind, ((reached ?? clock.Elapsed) - read).TotalSeconds, idle);
    }

    /// <summary>
    /// The primary and its replication offset, read before any replica is waited for: a replica that keeps DrTools waiting
    /// (frozen, stalled) is behind all that time, and an offset read only once it answered is read after it caught up.
    /// </summary>
    private async Task<(RedisMember Primary, long Head)> PrimaryHeadAsync(CancellationToken cancellationToken)
    {
        using var others = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        async Task<(RedisMember Member, IReadOnlyDictionary<string, string>? Info)> AskAsync(RedisMember member)
        {
            try { return (member, await member.InfoAsync("replication", others.Token)); }
            catch (Exception e) when (e is DrToolsException or OperationCanceledException or IOException) { return (member, null); }
        }
        var pending = Members.Select(AskAsync).ToList();
        while (pending.Count > 0)
        {
            var answered = await Task.WhenAny(pending);
            pending.Remove(answered);
            var (member, info) = await answered;
            if (info?.GetValueOrDefault("role") != "master") continue;
            others.Cancel();
            return (member, OffsetOf(info, "master_repl_offset"));
        }
        cancellationToken.ThrowIfCancellationRequested();
        throw new DrToolsException($"lag of {Name} cannot be measured: no member answered as the primary.", DrErrorKind.InvalidOperation);
    }

    private static long OffsetOf(IReadOnlyDictionary<string, string> info, string field) =>
        long.TryParse(info.GetValueOrDefault(field), CultureInfo.InvariantCulture, out var offset) ? offset : 0;

    public async Task<IReadOnlyDictionary<string, TimeSpan?>> HeartbeatAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var status = await GetStatusAsync(cancellationToken);
        var primary = Member(status.Primary?.Name ?? throw new DrToolsException($"no heartbeat on {Name}: {status.Verdict}",
            DrErrorKind.InvalidOperation));
        var token = Guid.NewGuid().ToString();
        var sent = System.Diagnostics.Stopwatch.GetTimestamp();
        await primary.CommandAsync(cancellationToken, "SET", KeyPrefix + "heartbeat", token);
        var arrivals = await Task.WhenAll(status.Standbys.Select(async s =>
        {
            var replica = Member(s.Name);
            await using var connection = await replica.OpenAsync(cancellationToken);
            TimeSpan? arrived = null;
            await Polling.UntilAsync(async () =>
            {
                if (await replica.CommandAsync(connection, cancellationToken, "GET", KeyPrefix
                    + "heartbeat") as string != token) return false;
                arrived = System.Diagnostics.Stopwatch.GetElapsedTime(sent);
                return true;
            }, timeout, TimeSpan.FromMilliseconds(1), cancellationToken);
            return (s.Display, arrived);
        }));
        return arrivals.ToDictionary(a => a.Display, a => a.arrived);
    }
}

// Queries: one Redis command a line.
public sealed partial class RedisCluster
{
    public async Task<Postgres.DbQueryResult> QueryAsync(string query, string? member, CancellationToken cancellationToken)
    {
        var server = Member(await Stores.MemberOrPrimaryAsync(this, member, "query", cancellationToken));
        var clock = new MonotonicClock();
        await using var connection = await server.OpenAsync(cancellationToken, checkClusterMode: true);
        object? reply = null;
        var lines = query.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var line in lines) reply = await server.CommandAsync(connection, cancellationToken, Words(line));
        var rows = (reply is object?[] items ? items : [reply]).Select(item => (IReadOnlyDictionary<string, object?>)new Dictionary<string,
            object?> { ["reply"] = item }).ToList();
        return new Postgres.DbQueryResult(server.Display, query, lines.Length, rows, clock.Elapsed);
    }

    /// <summary>A command line's words: separated by spaces, "double quotes" keep spaces in one.</summary>
    internal static string[] Words(string line)
    {
        var matches = System.Text.RegularExpressions.Regex.Matches(line, "\"((?:[^\"\\\\]|\\\\.)*)\"|(\\S+)");
        return matches.Select(m => m.Groups[1].Success ? System.Text.RegularExpressions.Regex.Unescape(m.Groups[1].Value)
            : m.Groups[2].Value).ToArray();
    }
}
