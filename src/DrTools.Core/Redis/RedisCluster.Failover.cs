using System.Globalization;
using DrTools.Core.Engines;

namespace DrTools.Core.Redis;

// What a drill does to a Redis cluster: pause writes, promote (REPLICAOF NO ONE), re-point, rejoin, kill and restart.
public sealed partial class RedisCluster
{
    /// <summary>How long a fence pauses writes at most: if DrTools died mid-drill, the old primary takes writes again by itself.</summary>
    private static readonly TimeSpan FenceLimit = TimeSpan.FromSeconds(30);
    private readonly HashSet<string> _fenced = [];

    /// <summary>The Sentinels' drill by default when the cluster has them (DrTools promoting beside them would race them); DrTools'
    /// otherwise.</summary>
    public Failover.IRecovery Recovery(Failover.RecoveredBy? recoveredBy) => (recoveredBy ?? (Sentinels.Count > 0
        ? Failover.RecoveredBy.Sentinel : Failover.RecoveredBy.DrTools)) switch
    {
        Failover.RecoveredBy.Sentinel when Sentinels.Count == 0 || _processes is null =>
            throw new DrToolsException($"recovered by Sentinel: {Name} is not a Redis sandbox with Sentinels (New-DrSandbox -Engine Redis "
                + $"-Sentinels).", DrErrorKind.InvalidArgument),
        Failover.RecoveredBy.Sentinel => new SentinelDrill(this, _processes),
        Failover.RecoveredBy.DrTools when Sentinels.Count > 0 =>
            throw new DrToolsException($"recovered by DrTools: Sentinels watch {Name} and would fail it over too; drill it recovered by "
                + $"Sentinel.", DrErrorKind.InvalidArgument),
        Failover.RecoveredBy.DrTools => new ReplicaSetDrill(this),
        var other => throw new DrToolsException($"recovered by {other}: a Redis cluster is failed over by DrTools or by its Sentinels.",
            DrErrorKind.InvalidArgument),
    };

    public string? FaultDescription(string primary) => _processes is null ? null : $"SIGKILL of redis-server of {Member(primary).Display}";

    public async Task<string> InjectFaultAsync(string primary, CancellationToken cancellationToken) =>
        await (_processes ?? throw new DrToolsException($"{Name}: DrTools cannot kill its members (not a sandbox).",
            DrErrorKind.InvalidOperation)).KillAsync(primary, cancellationToken);

    public async Task<bool> RestartAsync(string member, CancellationToken cancellationToken)
    {
        if (_processes is null) return false;
        await _processes.StartAsync(member, cancellationToken);
        return true;
    }

    /// <summary>CLIENT PAUSE WRITE: every client's writes wait (replication pings too, so the offset holds still) until the
    /// rejoin.</summary>
    public async Task<ReplicaPosition> FenceAsync(string primary, CancellationToken cancellationToken)
    {
        var member = Member(primary);
        await using var connection = await member.OpenAsync(cancellationToken);
        await member.CommandAsync(connection, cancellationToken, "CLIENT", "PAUSE",
            ((long)FenceLimit.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), "WRITE");
        lock (_fenced) _fenced.Add(primary);
        var offset = (await connection.InfoAsync("replication", cancellationToken)).GetValueOrDefault("master_repl_offset") ?? "0";
        return new ReplicaPosition(long.Parse(offset, CultureInfo.InvariantCulture), offset);
    }

    public async Task UnfenceAsync(string primary, CancellationToken cancellationToken)
    {
        lock (_fenced) _fenced.Remove(primary);
        await Member(primary).CommandAsync(cancellationToken, "CLIENT", "UNPAUSE");
    }

    public async Task WaitAppliedAsync(string replica, ReplicaPosition position, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var applied = default(ReplicaPosition);
        await Polling.RequireAsync(async () => (applied = await AppliedPositionAsync(replica, cancellationToken)).Value >= position.Value,
            timeout, TimeSpan.FromMilliseconds(1),
            () => $"{Member(replica).Display} did not reach offset {position} within {DurationText.Format(timeout)} (at {applied}).",
            cancellationToken);
    }

    public async Task<(ReplicaPosition Applied, bool Settled, string How)> ReplicaAfterFaultAsync(string replica, bool primaryUnreachable,
        CancellationToken cancellationToken)
    {
        var info = await Member(replica).InfoAsync("replication", cancellationToken);
        var offset = info.GetValueOrDefault("slave_repl_offset") ?? "0";
        var link = info.GetValueOrDefault("master_link_status");
        // A replica applies what it receives as it receives it: settled once nothing more can come.
        return (new ReplicaPosition(long.Parse(offset, CultureInfo.InvariantCulture), offset), link != "up" || primaryUnreachable,
            link != "up" ? $"its master_link_status was {link}" : "its link still said up; the primary was unreachable");
    }

    public async Task PromoteAsync(string replica, CancellationToken cancellationToken) =>
        await Member(replica).CommandAsync(cancellationToken, "REPLICAOF", "NO", "ONE");

    public async Task RepointAsync(string replica, string newPrimary, CancellationToken cancellationToken)
    {
        var primary = Member(newPrimary);
        await Member(replica).CommandAsync(cancellationToken, "REPLICAOF", primary.Host,
            primary.Port.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// A fenced primary becomes a replica, then its pause lifts (writes it held fail with READONLY, and their clients
    /// move on); a killed one starts as a replica. Redis resynchronises it whole when its history differs, so a rejoin
    /// never keeps writes the new primary lacks.
    /// </summary>
    public async Task<Engines.RejoinOutcome> RejoinAsync(string oldPrimary, string newPrimary, CancellationToken cancellationToken)
    {
        bool fenced;
        lock (_fenced) fenced = _fenced.Remove(oldPrimary);
        if (!fenced && _processes is not null && _processes.Pid(oldPrimary) is null)
        {
            await _processes.StartAsReplicaAsync(oldPrimary, Member(newPrimary), cancellationToken);
            return new(true, "restarted as a replica; Redis resynchronises it from the new primary");
        }
        await RepointAsync(oldPrimary, newPrimary, cancellationToken);
        if (fenced) await Member(oldPrimary).CommandAsync(cancellationToken, "CLIENT", "UNPAUSE");
        return new(true, "REPLICAOF the new primary");
    }

    /// <summary>The write probe writes one field per sequence into one hash per run: nothing to create.</summary>
    public Task PrepareProbeAsync(string primary, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The probe's hash is created by its first write, on whichever member takes it.</summary>
    public Task<string?> ProbeTargetMissingAsync(string member, CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    internal static string ProbeKey(Guid runId) => $"{KeyPrefix}probe:{runId}";

    public async Task<IReadOnlySet<long>> ProbeSequencesAsync(string member, Guid runId, CancellationToken cancellationToken)
    {
        var fields = await Member(member).CommandAsync(cancellationToken, "HKEYS", ProbeKey(runId)) as object?[] ?? [];
        return fields.Select(f => long.Parse((string)f!, CultureInfo.InvariantCulture)).ToHashSet();
    }

    public Probes.IProbeConnector ProbeConnector(Probes.ProbeKind kind, Probes.ProbeOptions options) => new RedisProbeConnector(Members,
        kind, options.AttemptTimeout);

    public Task<Integrity.DbChecksum> ChecksumAsync(string member, IReadOnlyList<string>? scope, CancellationToken cancellationToken) =>
        RedisChecksum.TakeAsync(Member(member), scope, cancellationToken);

    /// <summary>Redis holds no snapshot for a reader: the digests are taken when asked (DrTools' own probe keys are outside
    /// them).</summary>
    /// <summary>A replica made writable (replica-read-only no) keeps its own writes out of its offset and its replicas.</summary>
    public bool ReplicaWritesUnseen => true;

    public Task<Integrity.ChecksumComparison?> CompareReplicasAsync(string primary, Cluster.ClusterStatus topology,
        Cluster.ClusterStatus before, Integrity.ChecksumComparison? integrity, IReadOnlyList<string>? scope, TimeSpan timeout,
        CancellationToken cancellationToken) =>
        RedisReplicas.CompareAsync(this, primary, topology, before, integrity, scope, timeout, cancellationToken);

    public Task<Func<CancellationToken, Task<Integrity.DbChecksum>>> PinChecksumAsync(string member, IReadOnlyList<string>? scope,
        CancellationToken cancellationToken) =>
        Task.FromResult<Func<CancellationToken, Task<Integrity.DbChecksum>>>(token => ChecksumAsync(member, scope, token));
}
