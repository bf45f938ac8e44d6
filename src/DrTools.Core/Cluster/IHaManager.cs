namespace DrTools.Core.Cluster;

/// <summary>
/// The HA manager that runs a cluster (Patroni …), asked for its own view beside what PostgreSQL says. A cluster
/// without one is judged by PostgreSQL alone.
/// </summary>
public interface IHaManager
{
    /// <summary>Its view of the cluster, and where it disagrees with the members as PostgreSQL reported them.</summary>
    Task<HaManagerStatus> InspectAsync(IReadOnlyList<MemberStatus> members, CancellationToken cancellationToken);
}
