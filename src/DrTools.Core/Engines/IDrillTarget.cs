namespace DrTools.Core.Engines;

/// <summary>A cluster of any store as drills name and guard it: what it is called, its engine, and whether destructive drills are allowed
/// on it.</summary>
public interface IDrillTarget
{
    string Name { get; }
    /// <summary>The store's engine name: postgresql, mariadb, redis.</summary>
    string Engine { get; }
    bool AllowDrill { get; }
    IReadOnlyList<IStoreMember> Members { get; }

    /// <summary>
    /// Takes the drill lock on this cluster's servers, so that drills from any machine exclude each other, or refuses
    /// naming the drill that holds it (see <see cref="Failover.DrillLock"/>). Held until disposed or this process ends.
    /// </summary>
    Task<IAsyncDisposable> LockDrillsAsync(string holder, CancellationToken cancellationToken);

    /// <summary>Every member's role and position, and what is wrong, naming the member; healthy when nothing is.</summary>
    Task<Cluster.ClusterStatus> GetStatusAsync(CancellationToken cancellationToken);

    /// <summary>Every replica's lag behind the primary, sampled as <paramref name="options"/> say.</summary>
    Task<IReadOnlyList<Replication.ReplicationLagResult>> MeasureLagAsync(Replication.ReplicationLagOptions options,
        CancellationToken cancellationToken);

    /// <summary>Runs statements (SQL; for Redis one command a line) on the named member, default the primary: a drill's setup, data and
    /// markers.</summary>
    Task<Postgres.DbQueryResult> QueryAsync(string query, string? member, CancellationToken cancellationToken);

    /// <summary>The checksum of one member's data in scope: the member named, or the primary.</summary>
    Task<Integrity.DbChecksum> TakeChecksumAsync(string? member, IReadOnlyList<string>? scope, CancellationToken cancellationToken);

    /// <summary>
    /// Checksums the named member or the primary now and compares with the reference (PostgreSQL: its tables, each the
    /// same way; other stores: everything in scope, so that an added table or key pattern shows).
    /// </summary>
    Task<Integrity.ChecksumComparison> CompareChecksumAsync(Integrity.DbChecksum reference, string? member,
        CancellationToken cancellationToken);
}
