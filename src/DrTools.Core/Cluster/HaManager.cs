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

/// <summary>A member as the HA manager lists it.</summary>
public sealed record HaManagerMember(string Name, string Endpoint, string Role, string State, int? Timeline, long? LagBytes,
    bool PendingRestart)
{
    public override string ToString() =>
        $"{Name} ({Endpoint}) {Role} {State}{(Timeline is { } timeline ? $" tl={timeline}" : "")}"
            + $"{(LagBytes is { } lag ? $" lag={lag}B" : "")}{(PendingRestart ? " pending restart" : "")}";
}

/// <summary>What the HA manager said: its leader and members, whether it would fail over at all, its last failover, and the disagreements
/// found.</summary>
public sealed record HaManagerStatus(string Manager, string? Leader, IReadOnlyList<HaManagerMember> Members, bool Paused,
    string? LastFailover, IReadOnlyList<string> Problems)
{
    public override string ToString() =>
        $"{Manager}: leader {Leader ?? "none"}{(Paused ? ", PAUSED (no automatic failover)" : "")}; last failover: "
            + $"{LastFailover ?? "none"}";
}
