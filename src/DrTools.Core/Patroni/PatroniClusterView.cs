namespace DrTools.Core.Patroni;

/// <summary>Patroni's view of its cluster: members, whether it is paused (no automatic failover then).</summary>
public sealed record PatroniClusterView(IReadOnlyList<PatroniMember> Members, bool Paused)
{
    public PatroniMember? Leader => Members.FirstOrDefault(m => m.IsLeader);
}
