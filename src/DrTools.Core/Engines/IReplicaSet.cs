using DrTools.Core.Cluster;
using DrTools.Core.Integrity;
using DrTools.Core.Probes;

namespace DrTools.Core.Engines;

/// <summary>
/// What a failover drill needs from a primary/replica store that DrTools itself fails over (MariaDB, Redis): roles and
/// positions, fencing, promotion, re-pointing, process control of members it may kill, and the probes' statements.
/// A third store is a folder implementing this; <see cref="ReplicaSetDrill"/> runs the drill the same for all.
/// </summary>
public interface IReplicaSet : IDrillTarget
{
    /// <summary>
    /// The drill for this cluster: DrTools' own (<see cref="ReplicaSetDrill"/>) or its HA manager's, as
    /// <paramref name="recoveredBy"/> asks (default: the HA manager when the cluster has one); refused where it cannot work.
    /// </summary>
    Failover.IRecovery Recovery(Failover.RecoveredBy? recoveredBy);

    /// <summary>What positions are, for plans and reports ("GTID sequence", "replication offset").</summary>
    string PositionKind { get; }

    /// <summary>Each member's own role, as <see cref="GetStatusAsync"/> decides it, on connections kept open between polls.</summary>
    IRoleSource Roles();

    /// <summary>The position up to which <paramref name="member"/> has applied what it holds.</summary>
    Task<ReplicaPosition> AppliedPositionAsync(string member, CancellationToken cancellationToken);

    /// <summary>
    /// A replica's state after its primary failed: what it applied, and whether it has applied all it received and
    /// will receive no more (its link to the primary is down, or <paramref name="primaryUnreachable"/>).
    /// </summary>
    Task<(ReplicaPosition Applied, bool Settled, string How)> ReplicaAfterFaultAsync(string replica, bool primaryUnreachable,
        CancellationToken cancellationToken);

    /// <summary>Creates what the write probe writes to, on the primary.</summary>
    Task PrepareProbeAsync(string primary, CancellationToken cancellationToken);

    /// <summary>
    /// Why <paramref name="member"/> lacks what the write probe writes to (MariaDB: its table), or null when it has it or
    /// needs none: a replica that does not replicate will never receive it.
    /// </summary>
    Task<string?> ProbeTargetMissingAsync(string member, CancellationToken cancellationToken);

    /// <summary>How an application reaches the writer (or any member, for reads).</summary>
    IProbeConnector ProbeConnector(ProbeKind kind, ProbeOptions options);

    /// <summary>The write probe's sequences of the run that <paramref name="member"/> holds.</summary>
    Task<IReadOnlySet<long>> ProbeSequencesAsync(string member, Guid runId, CancellationToken cancellationToken);

    /// <summary>
    /// Switchover: makes the primary refuse writes from every client, and returns its final position once nothing more
    /// can be written. The fence holds until <see cref="RejoinAsync"/> or <see cref="UnfenceAsync"/>.
    /// </summary>
    Task<ReplicaPosition> FenceAsync(string primary, CancellationToken cancellationToken);

    /// <summary>Lifts a fence (a switchover that failed before any promotion).</summary>
    Task UnfenceAsync(string primary, CancellationToken cancellationToken);

    /// <summary>The unplanned fault: what it is, for plans; null when this target's members cannot be killed by DrTools.</summary>
    string? FaultDescription(string primary);

    /// <summary>Injects the unplanned failure of the primary; returns a detail for the timeline.</summary>
    Task<string> InjectFaultAsync(string primary, CancellationToken cancellationToken);

    /// <summary>Waits until <paramref name="replica"/> has applied up to <paramref name="position"/>.</summary>
    Task WaitAppliedAsync(string replica, ReplicaPosition position, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Makes a replica the primary (stops replicating, accepts writes).</summary>
    Task PromoteAsync(string replica, CancellationToken cancellationToken);

    /// <summary>Points a replica at the new primary.</summary>
    Task RepointAsync(string replica, string newPrimary, CancellationToken cancellationToken);

    /// <summary>
    /// Makes the old primary a replica of the new one, starting it first when it is down. A member with writes the new
    /// primary lacks is never silently merged: it is rebuilt from the new primary where DrTools controls it, else left
    /// out, saying why.
    /// </summary>
    Task<RejoinOutcome> RejoinAsync(string oldPrimary, string newPrimary, CancellationToken cancellationToken);

    /// <summary>Starts a member the drill killed, when it fails before any promotion. False when DrTools cannot.</summary>
    Task<bool> RestartAsync(string member, CancellationToken cancellationToken);

    /// <summary>What <see cref="LagSample.Behind"/> counts: "GTID transactions", "bytes".</summary>
    string LagUnit { get; }

    /// <summary>How <see cref="SampleLagAsync"/> measures, for the figures' method texts, and what "lag" is held against.</summary>
    LagMethod LagMethod(Replication.ReplicationLagOptions options, TimeSpan catchUpLimit);

    /// <summary>
    /// One sample of every replica's lag behind the primary; a catch-up that is timed (Redis) is waited for up to
    /// <paramref name="catchUpLimit"/>, past which it counts as longer.
    /// </summary>
    Task<IReadOnlyList<LagSample>> SampleLagAsync(TimeSpan catchUpLimit, CancellationToken cancellationToken);

    /// <summary>Writes a heartbeat on the primary and times its arrival on each replica (null: not within the timeout).</summary>
    Task<IReadOnlyDictionary<string, TimeSpan?>> HeartbeatAsync(TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>The data in scope on <paramref name="member"/> at one consistent moment.</summary>
    Task<DbChecksum> ChecksumAsync(string member, IReadOnlyList<string>? scope, CancellationToken cancellationToken);

    Task<IReadOnlyList<Replication.ReplicationLagResult>> IDrillTarget.MeasureLagAsync(Replication.ReplicationLagOptions options,
        CancellationToken cancellationToken) => StoreLag.MeasureAsync(this, options, cancellationToken);

    async Task<DbChecksum> IDrillTarget.TakeChecksumAsync(string? member, IReadOnlyList<string>? scope,
        CancellationToken cancellationToken) =>
        await ChecksumAsync(await Stores.MemberOrPrimaryAsync(this, member, "checksum", cancellationToken), scope, cancellationToken);

    async Task<ChecksumComparison> IDrillTarget.CompareChecksumAsync(DbChecksum reference, string? member,
        CancellationToken cancellationToken) =>
        DbChecksums.Compare(reference, await ((IDrillTarget)this).TakeChecksumAsync(member, null, cancellationToken));

    /// <summary>
    /// The checksum of <paramref name="member"/>'s data as it is now, computed when the returned function is called
    /// (a switchover pins the replica before its promotion and reads it after). A store without snapshots computes it then.
    /// </summary>
    Task<Func<CancellationToken, Task<DbChecksum>>> PinChecksumAsync(string member, IReadOnlyList<string>? scope,
        CancellationToken cancellationToken);

    /// <summary>
    /// Whether a replica can hold writes of its own that no replication position shows (Redis with replica-read-only no):
    /// a checksum pinned on it is then no reference for the old primary's data, so a switchover takes its reference on the
    /// primary before the drill, as an unplanned failover does.
    /// </summary>
    bool ReplicaWritesUnseen => false;

    /// <summary>
    /// At a drill's end, once <paramref name="topology"/> was read: <paramref name="integrity"/> with every replica compared
    /// with <paramref name="primary"/>, where a replica can hold data its primary lacks that no position shows
    /// (<see cref="ReplicaWritesUnseen"/>); a replica that differs, or was diverged in <paramref name="before"/>, fails it.
    /// Where none can, it is returned as it is.
    /// </summary>
    Task<ChecksumComparison?> CompareReplicasAsync(string primary, ClusterStatus topology, ClusterStatus before,
        ChecksumComparison? integrity, IReadOnlyList<string>? scope, TimeSpan timeout, CancellationToken cancellationToken) =>
        Task.FromResult(integrity);

    /// <summary>
    /// Why no commit <paramref name="primary"/> acknowledged can be missing from its most advanced replica (every commit
    /// waited for a replica's acknowledgement), read just before an unplanned fault; null when a commit can be
    /// acknowledged before any replica has it.
    /// </summary>
    Task<string?> AcknowledgedOnceReplicatedAsync(string primary, CancellationToken cancellationToken) => Task.FromResult<string?>(null);
}
