using DrTools.Core.Integrity;
using DrTools.Core.Probes;

namespace DrTools.Core.Failover;

/// <summary>What a drill reads back from the store once the probes stopped: each engine's own queries.</summary>
internal interface IDrillReadback
{
    /// <summary>The member read at the end: the new primary (or, when the drill observed it, the final primary).</summary>
    string FinalNode { get; }
    /// <summary>The run's probe sequences on <see cref="FinalNode"/>: what was not lost.</summary>
    Task<IReadOnlyCollection<long>> FinalReadAsync(Guid runId, CancellationToken cancellationToken);
    /// <summary>The checksums before the drill against the new primary's, when they were taken.</summary>
    Task<ChecksumComparison?> IntegrityAsync(CancellationToken cancellationToken);
    /// <summary>
    /// The member every other reachable member must replicate from at the end (the drill waits for them, see
    /// <see cref="Followers"/>); null where the drill neither waits for nor judges them (an HA manager rejoins in its own time).
    /// </summary>
    string? Followed { get; }
    /// <summary>The member the drill left down (the old primary, not rejoined): its replicas' wait does not wait for it.</summary>
    string? LeftDown { get; }
    Task<Cluster.ClusterStatus> TopologyAsync(CancellationToken cancellationToken);
    /// <summary>
    /// The final primary, when the drill observed until the topology settled: writes another member acknowledged once it
    /// was primary are then split-brain writes.
    /// </summary>
    FinalPrimary? FinalPrimary => null;
    /// <summary>
    /// The integrity comparison once <paramref name="topology"/> was read, with what the store compares then (Redis: each
    /// replica with the final primary); as it is where the store compares nothing more.
    /// </summary>
    Task<ChecksumComparison?> WithReplicasAsync(ChecksumComparison? integrity, Cluster.ClusterStatus topology,
        CancellationToken cancellationToken) => Task.FromResult(integrity);
}
