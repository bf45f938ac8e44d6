using System.Text.Json.Serialization;
using DrTools.Core.Cluster;
using DrTools.Core.Integrity;
using DrTools.Core.Postgres;
using DrTools.Core.Probes;

namespace DrTools.Core.Failover;

public enum FailoverMode
{
    /// <summary>Planned: clean stop, wait for the standby to replay everything, promote, rejoin the old primary.</summary>
    Switchover,
    /// <summary>Unplanned: inject a failure, promote the most advanced standby.</summary>
    Failover,
}

/// <summary>
/// Who recovers the cluster in a drill: DrTools itself (it promotes and rewinds), Patroni or Redis Sentinel (DrTools
/// injects and observes them), or an HA manager DrTools does not know (the user's command acts; DrTools watches through the endpoint).
/// </summary>
public enum RecoveredBy { DrTools, Patroni, External, Sentinel }

/// <summary>The unplanned faults of a drill in which Patroni recovers, each on the leader's node.</summary>
public enum NodeFault
{
    /// <summary>SIGKILL of the postmaster: Patroni restarts it in place or fails over.</summary>
    KillPostgres,
    /// <summary>SIGKILL of Patroni and every PostgreSQL process of the node: node loss.</summary>
    KillNode,
    /// <summary>SIGSTOP of every process of the node for the fault duration, then SIGCONT: a hung host.</summary>
    FreezeNode,
    /// <summary>Patroni stopped cleanly (SIGTERM): its own shutdown hands over.</summary>
    StopPatroni,
}

public sealed record FailoverOptions
{
    /// <summary>Who recovers: DrTools (the default), or the HA manager of the target (a Patroni sandbox's Patroni).</summary>
    public RecoveredBy RecoveredBy { get; init; } = RecoveredBy.DrTools;
    /// <summary>With an HA manager recovering: the fault on the leader's node (default node loss).</summary>
    public NodeFault Fault { get; init; } = NodeFault.KillNode;
    /// <summary>
    /// The unplanned fault from the fault library (a partition, a freeze …) on the primary or leader, instead of the
    /// SIGKILL of the postmaster (or, with Patroni recovering, <see cref="Fault"/>); undone when the drill ends.
    /// </summary>
    public Faults.FaultSpec? LibraryFault { get; init; }
    /// <summary>An application-level HTTP probe running through the drill, with its targets.</summary>
    public Probes.HttpProbeOptions? HttpProbe { get; init; }
    /// <summary>The alert the drill expects to fire after its fault (and resolve after its recovery).</summary>
    public Monitoring.AlertExpectation? ExpectAlert { get; init; }
    /// <summary>Held before the old primary is rejoined: with an expected alert, until it fired (a member back at once would never
    /// alert).</summary>
    [JsonIgnore] public Func<CancellationToken, Task<string>>? BeforeRejoin { get; init; }
    /// <summary>A test's hook, run just before the probes stop: it can leave a probe attempt in flight at the stop.</summary>
    [JsonIgnore] internal Func<CancellationToken, Task>? BeforeProbesStop { get; init; }
    /// <summary>How long FreezeNode keeps the node stopped; default twice the HA manager's ttl.</summary>
    public TimeSpan? FaultDuration { get; init; }
    /// <summary>Told of each phase as the drill enters it.</summary>
    public IProgress<OperationProgress>? Progress { get; init; }

    public FailoverMode Mode { get; init; } = FailoverMode.Switchover;
    /// <summary>The standby to promote; default: the most advanced by replayed LSN.</summary>
    public string? Candidate { get; init; }
    /// <summary>After an unplanned failover, make the old primary a standby of the new one (a switchover always does).</summary>
    public bool Rejoin { get; init; }
    public TimeSpan? RtoTarget { get; init; }
    public TimeSpan? RpoTarget { get; init; }
    /// <summary>
    /// Most stale reads allowed; default none: a read through a replica is expected to be behind under asynchronous
    /// replication, so stale reads are informational unless the user holds the read path to a target.
    /// </summary>
    public int? MaxStaleReads { get; init; }
    public ProbeOptions WriteProbe { get; init; } = new();
    public ProbeOptions ReadProbe { get; init; } = new();

    /// <summary>The options of the write or the read probe.</summary>
    public ProbeOptions Probe(ProbeKind kind) => kind == ProbeKind.Write ? WriteProbe : ReadProbe;

    public bool CheckIntegrity { get; init; } = true;
    /// <summary>Tables whose row counts and checksums must be the same before and after; default all but DrTools' own.</summary>
    public IReadOnlyList<string>? IntegrityTables { get; init; }
    /// <summary>A switchover is refused when the candidate is further behind than this before the primary is stopped.</summary>
    public long MaxCatchUpBytes { get; init; } = 16 * 1024 * 1024;
    /// <summary>Acknowledged writes the write probe must have before the fault or fence (the baseline); default 3.</summary>
    public int BaselineWrites { get; init; } = 3;
    /// <summary>Longest wait of any one phase (catch-up, promotion, first write after the fault, rejoin).</summary>
    public TimeSpan PhaseTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>
    /// After an unplanned fault, with the primary unreachable: how long a standby's received WAL position must stay
    /// unchanged before it is taken to have received all it will (its WAL receiver may not notice a vanished primary for
    /// wal_receiver_timeout).
    /// </summary>
    public TimeSpan ReceiveSettle { get; init; } = TimeSpan.FromMilliseconds(500);
    /// <summary>How long the probes keep running once the cluster serves writes again.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromMilliseconds(500);
    /// <summary>
    /// A drill an HA manager DrTools does not know recovers: the least time every write through the endpoint must go to
    /// one server, with nothing through it missing that server, before the writer is taken to have settled. A proxy whose
    /// health checks flap hands new connections to the old writer now and then, the first time seconds after a clean
    /// switch; what begins later than this after the last failure is not seen.
    /// </summary>
    public TimeSpan EndpointWatch { get; init; } = DefaultEndpointWatch;

    public static readonly TimeSpan DefaultEndpointWatch = TimeSpan.FromSeconds(10);

    /// <summary>What the endpoint watch option does, the same words on every surface that takes it.</summary>
    public const string EndpointWatchHelp = "Recovered by External: the least time every write through the endpoint must go to "
        + "one server, with nothing through it missing that server, before the writer is taken to have settled (default 10s; "
        + "longer when it went on failing, twice its longest clean gap between two failures). A proxy whose health checks flap "
        + "hands new connections to the old writer now and then, the first time seconds after a clean switch: what begins "
        + "later than this after the last failure is not seen.";
}

/// <summary>What a drill will do, known before anything changes: the basis of -WhatIf and of ShouldProcess.</summary>
public sealed record FailoverPlan(Engines.IDrillTarget Target, FailoverMode Mode, string Primary, string? Candidate,
    IReadOnlyList<string> Steps, ClusterStatus Before)
{
    /// <summary>The target of a PostgreSQL drill; the PostgreSQL drills only ever plan on one.</summary>
    internal DbTarget Postgres => Target as DbTarget
        ?? throw new InvalidOperationException($"{Target.Name} is a {Target.Engine} target, not PostgreSQL.");

    /// <summary>What the drill does in one line, when someone other than DrTools recovers.</summary>
    public string? Recovery { get; init; }

    public string Action => Recovery ?? (Mode == FailoverMode.Switchover
        ? $"Switchover: stop primary {Primary} cleanly, promote {Candidate}, rejoin {Primary} as its standby"
        : $"Failover: fail primary {Primary}, promote {Candidate ?? "the most advanced standby"}");

    public override string ToString() => $"{Action}\n  " + string.Join("\n  ", Steps);
}

/// <summary>A moment of the drill on its monotonic clock (At), with the wall time for display.</summary>
public sealed record DrillEvent(string Name, TimeSpan At, DateTimeOffset WallTime, string? Detail);

public sealed record FailoverResult
{
    public required string Target { get; init; }
    /// <summary>The store drilled: postgresql, mariadb or redis.</summary>
    public string Engine { get; init; } = Engines.StoreEngines.PostgreSql;
    public required FailoverMode Mode { get; init; }
    /// <summary>The probe's run id: its rows in drtools_probe carry it.</summary>
    public required Guid RunId { get; init; }
    public required string OldPrimary { get; init; }
    public required string NewPrimary { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    /// <summary>The Stopwatch timestamp the timeline counts from, to place it exactly on a run's clock.</summary>
    [JsonIgnore] public long ClockOrigin { get; init; }
    public required TimeSpan Duration { get; init; }
    public required IReadOnlyList<DrillEvent> Timeline { get; init; }
    /// <summary>RTO: client-observed write unavailability.</summary>
    public required Measurement WriteUnavailability { get; init; }
    /// <summary>Beside the write-unavailability window: the longest single gap of one client, and the error rate in the window.</summary>
    public IReadOnlyList<Measurement> WindowFigures { get; init; } = [];
    /// <summary>Client-observed time until reads were served again.</summary>
    public required Measurement ReadReconnection { get; init; }
    public required Measurement LostWrites { get; init; }
    /// <summary>RPO: the time span of acknowledged writes that were lost.</summary>
    public required Measurement DataLossWindow { get; init; }
    public required IReadOnlyList<long> LostSequences { get; init; }
    /// <summary>
    /// Transactions the old primary committed beyond the new primary's start, discarded by its rewind or rebuild (null when
    /// not counted: the state then says the count is unknown). Lost acknowledged writes whether or not a probe wrote then.
    /// </summary>
    public Measurement? DiscardedTransactions { get; init; }
    public required int AcknowledgedWrites { get; init; }
    /// <summary>Writes the client saw fail that are on the new primary all the same (committed, acknowledgement lost).</summary>
    public required int UnacknowledgedButCommitted { get; init; }
    public required ChecksumComparison? Integrity { get; init; }
    public required ClusterStatus TopologyAfter { get; init; }
    /// <summary>
    /// Each reachable member that does not replicate from the new primary once the drill waited for it, and why, one line
    /// each (the server's own error): the drill is not met while there is one. Not judged when Patroni or an external HA
    /// manager recovered (they rejoin in their own time).
    /// </summary>
    public IReadOnlyList<string> ReplicasNotFollowing { get; init; } = [];
    /// <summary>Where the cluster was left: who is primary, who rejoined, what was not re-pointed.</summary>
    public required string State { get; init; }
    public required IReadOnlyList<ProbeSample> WriteSamples { get; init; }
    public required IReadOnlyList<ProbeSample> ReadSamples { get; init; }

    /// <summary>Who recovered the cluster: DrTools, or the HA manager it observed.</summary>
    public string RecoveredBy { get; init; } = nameof(Failover.RecoveredBy.DrTools);
    /// <summary>What was done to the primary (the fault, or the switchover request).</summary>
    public string? Fault { get; init; }
    /// <summary>With an HA manager recovering: how long it took to notice, promote, route the proxy and bring the old leader
    /// back.</summary>
    public IReadOnlyList<Measurement> RecoveryFigures { get; init; } = [];

    public string IntegrityResult => Integrity?.Result ?? "not checked";

    /// <summary>The integrity verdict, with what differs when it failed (as the console prints it).</summary>
    [JsonIgnore] public string IntegrityText => Integrity is { Failed: true } failed ? failed.ToString() : IntegrityResult;

    /// <summary>
    /// Why the drill is not met, a line each (none when it is): each figure that missed its target, the integrity check
    /// with what differs, each replica not following.
    /// </summary>
    [JsonIgnore] public IReadOnlyList<string> Shortfalls =>
    [
        .. Figures.Where(f => f.Met == false).Select(f => $"{f.Name} not met: {f}"),
        .. Integrity is { Failed: true } ? [$"integrity {IntegrityText}"] : Array.Empty<string>(),
        .. ReplicasNotFollowing,
    ];

    /// <summary>The figures the drill measured as a client, in the order reports show them.</summary>
    /// <summary>p50/p95/p99 latency of the write and read probes' answered attempts.</summary>
    public IReadOnlyList<Measurement> LatencyFigures { get; init; } = [];

    /// <summary>What the application-level HTTP probe saw during the drill, when one ran.</summary>
    public Probes.HttpProbeResult? HttpProbe { get; init; }

    /// <summary>
    /// With the drill observed until the topology settled: writes other members acknowledged after the fault, and how long
    /// two members said they were the primary.
    /// </summary>
    public IReadOnlyList<Measurement> SplitBrainFigures { get; init; } = [];

    /// <summary>What the probe history says of the reads: stale reads (informational).</summary>
    public IReadOnlyList<Measurement> ConsistencyFigures { get; init; } = [];

    /// <summary>The probe history (history.jsonl): every probe operation, the fault and the final read.</summary>
    [JsonIgnore] public IReadOnlyList<HistoryOperation> History { get; init; } = [];

    /// <summary>Time to alert and to resolve of the alert the drill expected, when it expected one.</summary>
    public IReadOnlyList<Measurement> AlertFigures { get; init; } = [];

    [JsonIgnore] public IReadOnlyList<Measurement> Figures => [WriteUnavailability, .. WindowFigures,
        ReadReconnection, LostWrites, DataLossWindow, .. DiscardedTransactions is { } discarded ? [discarded] : Array.Empty<Measurement>(),
        .. RecoveryFigures, .. SplitBrainFigures, .. ConsistencyFigures, .. LatencyFigures, .. HttpProbe?.Figures ?? [], .. AlertFigures];

    /// <summary>The result with what the old primary's rejoin discarded: its figure, or in the state that it is unknown.</summary>
    internal FailoverResult WithDiscarded(DiscardedTransactions discarded, TimeSpan? rpoTarget) => discarded.Figure(rpoTarget) is { } figure
        ? this with { DiscardedTransactions = figure }
        : this with { State = $"{State}; {discarded.UnknownNote}" };

    /// <summary>
    /// Every objective met, integrity not failed and every reachable replica following the new primary; of the figures
    /// the probe history decides, those
    /// <see cref="ProbeHistoryChecker.Decides"/> names (so <c>drtools history check</c> reaches the same verdict).
    /// </summary>
    public bool Met => WriteUnavailability.Met != false && DataLossWindow.Met != false && LostWrites.Met != false
        && DiscardedTransactions?.Met != false
        && Integrity?.Failed != true && ReplicasNotFollowing.Count == 0
        && RecoveryFigures.All(f => f.Met != false) && SplitBrainFigures.All(f => f.Met != false)
        && ConsistencyFigures.All(f => f.Met != false)
        && HttpProbe?.Met != false
        && AlertFigures.All(f => f.Met != false);
}
