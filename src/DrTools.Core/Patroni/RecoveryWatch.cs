using DrTools.Core.Cluster;
using DrTools.Core.Failover;
using DrTools.Core.Probes;
using Npgsql;

namespace DrTools.Core.Patroni;

/// <summary>
/// What Patroni did after the fault, as DrTools saw it from outside, each moment on the drill's clock: when it
/// noticed, which leader it elected, when that leader accepted writes, when HAProxy (when DrTools knows it) routed
/// writes to it, and when the old leader was back as a streaming replica.
/// </summary>
internal sealed class RecoveryWatch(PatroniCluster cluster, FailoverPlan plan, Timeline timeline, MonotonicClock clock)
{
    private string Observed =>
        $"Patroni's REST API (first node that answers), PostgreSQL{(cluster.HaproxyStats is null ? "" : " and HAProxy's statistics")} "
        + $"polled every 50 ms";
    private TimeSpan? _noticed, _promoted, _routed, _rejoined;
    private readonly List<string> _elected = [];
    private bool _oldWasDown;

    public TimeSpan Fault { get; set; }
    /// <summary>The leader Patroni elected last: a leader can change again (a frozen old leader taking its key back).</summary>
    public string? NewLeader { get; private set; }
    public string State { get; private set; } = "not observed yet";
    /// <summary>When the leader Patroni elected last was first seen accepting writes.</summary>
    public TimeSpan? Promoted => _promoted;
    public bool Rejoined => _rejoined is not null || (NewLeader == plan.Primary && _promoted is not null);

    public async Task ObserveAsync(CancellationToken cancellationToken)
    {
        var view = await cluster.ViewAsync(cancellationToken);
        var now = clock.Elapsed;
        if (view is null)
        {
            State = "no Patroni REST API answered";
            return;
        }
        State = $"Patroni: leader {view.Leader?.Name ?? "none"}{(view.Paused ? ", PAUSED (no automatic failover)" : "")}; "
            + $"{string.Join(", ", view.Members.Select(m => $"{m.Name} {m.Role} {m.State}"))}";
        var leader = view.Leader;
        var old = view.Members.FirstOrDefault(m => m.Name == plan.Primary);
        var oldDown = old is null || old.State is not ("running" or "streaming");
        _oldWasDown |= oldDown;
        if (_noticed is null && (leader?.Name != plan.Primary || oldDown))
        {
            _noticed = now;
            timeline.Mark("Patroni noticed", leader is null ? "no node holds the leader key" : leader.Name != plan.Primary
                ? $"{leader.Name} holds the leader key"
                : $"{plan.Primary}'s PostgreSQL is {old?.State ?? "gone from Patroni's member list"}");
        }
        // A leader counts once it runs; the old leader counts again only after Patroni saw it down (restarted in place, or back from a
        // freeze).
        var current = _noticed is not null && leader is { State: "running" or "streaming" } && (leader.Name != plan.Primary || (_oldWasDown
            && !oldDown)) ? leader.Name : null;
        if (current is not null && current != NewLeader)
        {
            NewLeader = current;
            (_promoted, _routed) = (null, null);
            _elected.Add(current);
            timeline.Mark("Patroni elected a leader", current == plan.Primary ? $"{current} again, after Patroni saw it down" : current);
        }
        if (NewLeader is null) return;
        if (_promoted is null && await AcceptsWritesAsync(NewLeader, cancellationToken))
        {
            _promoted = now;
            timeline.Mark("promotion finished", $"{NewLeader} accepts writes");
        }
        if (_routed is null && cluster.HaproxyStats is { } stats && await HaproxyStats.UpServersAsync(stats, "primary",
            cancellationToken) is [var only] && only == NewLeader)
        {
            _routed = now;
            timeline.Mark("HAProxy routes writes to the new leader", NewLeader);
        }
        if (_rejoined is null && NewLeader != plan.Primary && old is { Role: "replica", State: "running" or "streaming" }
            && await StreamsFromAsync(plan.Primary, NewLeader, cancellationToken))
        {
            _rejoined = now;
            timeline.Mark("old primary rejoined as a standby", $"{plan.Primary} streams from {NewLeader}");
        }
    }

    /// <summary>Recovered: a leader Patroni elected accepts writes, HAProxy (when known) routes to it, and a probe write it acknowledged
    /// came back.</summary>
    public bool Recovered(IReadOnlyList<ProbeSample> writes) =>
        NewLeader is not null && _promoted is not null && (_routed is not null || cluster.HaproxyStats is null) && FirstWriteOn(writes,
            NewLeader) is not null;

    public string NotRecovered(TimeSpan timeout)
    {
        var missing = NewLeader is null ? "Patroni elected no leader"
            : _promoted is null ? $"the leader Patroni elected, {NewLeader}, never accepted writes"
            : _routed is null && cluster.HaproxyStats is not null ? $"HAProxy never routed writes to {NewLeader} alone"
            : $"no probe write was acknowledged by {NewLeader}";
        return $"Patroni did not recover the cluster within {DurationText.Format(timeout)}: {missing}. {State}";
    }

    public string Outcome(bool rejoinRequested)
    {
        var before = _elected.Count > 1 ? $" (Patroni elected {string.Join(", then ", _elected)})" : "";
        return NewLeader == plan.Primary
            ? $"{NewLeader} is the leader again: Patroni "
                + $"{(_elected.Count > 1 ? "gave it back the leader key" : "restarted its PostgreSQL in place")}, no lasting "
                + $"failover{before}"
            : $"{NewLeader} is the leader (elected by Patroni){before}; {plan.Primary} "
                + (Rejoined ? "rejoined as a streaming replica"
                    : rejoinRequested ? "did not rejoin" : "was left as the fault left it (no rejoin requested)");
    }

    /// <summary>The recovery as DrTools saw it, each from the fault on one clock; and writes acknowledged by two leaders (split
    /// brain).</summary>
    public IReadOnlyList<Measurement> Figures(IReadOnlyList<ProbeSample> writes, string start)
    {
        var figures = new List<Measurement>();
        void Add(string name, TimeSpan? at, string what)
        {
            if (at is { } moment) figures.Add(new Measurement(name, (moment - Fault).TotalSeconds, "s", null,
                $"from {start} to the first poll that saw {what}, on the drill's monotonic clock ({Observed})"));
        }
        // Patroni's detection, as its API shows it: the old leader's PostgreSQL itself may be down a moment earlier.
        Add("detection time", _noticed,
            "Patroni's REST API show the old leader without the leader key, or its member state other than running");
        Add("promotion time", _promoted, "the leader Patroni elected accept writes (pg_is_in_recovery() false)");
        Add("HAProxy switch time", _routed, "HAProxy route its read-write port to the new leader alone");
        Add("old leader back as a replica", _rejoined,
            "the old leader listed by Patroni as a running replica and streaming from the new leader");
        if (NewLeader is { } leader && FirstWriteOn(writes, leader) is { } first)
        {
            var endpoint = plan.Postgres.Member(leader).Endpoint;
            var elsewhere = writes.Count(s => s.Succeeded && s.Acknowledged > first.Acknowledged && s.Host is { } host
                && !ClusterInspector.SameEndpoint(host, endpoint));
            figures.Add(new Measurement("writes acknowledged by another node after the leader (split brain)", elsewhere, "writes", 0,
                $"probe writes acknowledged after the first write the final leader {leader} acknowledged, by a server "
                    + $"(inet_server_addr/port) other than {leader}"));
        }
        return figures;
    }

    private ProbeSample? FirstWriteOn(IReadOnlyList<ProbeSample> writes, string member)
    {
        var endpoint = plan.Postgres.Member(member).Endpoint;
        return writes.Where(s => s.Succeeded && s.Sent >= Fault && s.Host is { } host && ClusterInspector.SameEndpoint(host,
            endpoint)).MinBy(s => s.Acknowledged);
    }

    private async Task<bool> AcceptsWritesAsync(string member, CancellationToken cancellationToken) =>
        await AskAsync(member, "select not pg_is_in_recovery()", r => r.GetBoolean(0), cancellationToken);

    private async Task<bool> StreamsFromAsync(string standby, string primary, CancellationToken cancellationToken) =>
        await AskAsync(primary,
            $"select count(*) = 1 from pg_stat_replication where state = 'streaming' and application_name = "
            + $"'{standby.Replace("'", "''")}'", r => r.GetBoolean(0), cancellationToken);

    /// <summary>One question to a member with a short deadline: a dead or frozen one is simply "not yet".</summary>
    private async Task<bool> AskAsync(string member, string sql, Func<NpgsqlDataReader, bool> read, CancellationToken cancellationToken)
    {
        using var quick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        quick.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            return await plan.Postgres.Member(member).QueryAsync(sql, read, quick.Token);
        }
        catch (Exception e) when (e is DrToolsException or NpgsqlException or OperationCanceledException
            && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
