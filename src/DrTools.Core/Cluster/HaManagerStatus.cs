namespace DrTools.Core.Cluster;

/// <summary>What the HA manager said: its leader and members, whether it would fail over at all, its last failover, and the disagreements
/// found.</summary>
public sealed record HaManagerStatus(string Manager, string? Leader, IReadOnlyList<HaManagerMember> Members, bool Paused,
    string? LastFailover, IReadOnlyList<string> Problems)
{
    public override string ToString() =>
        $"{Manager}: leader {Leader ?? "none"}{(Paused ? ", PAUSED (no automatic failover)" : "")}; last failover: "
            + $"{LastFailover ?? "none"}";
}
