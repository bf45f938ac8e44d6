namespace DrTools.Core.Patroni;

/// <summary>A member as Patroni's REST API lists it (GET /cluster).</summary>
public sealed record PatroniMember(string Name, string Role, string State, string Host, int Port, int? Timeline, long? LagBytes,
    bool PendingRestart)
{
    /// <summary>The member's own REST API (its restapi.connect_address), when Patroni lists it.</summary>
    public Uri? ApiUrl { get; init; }

    public bool IsLeader => Role is "leader" or "standby_leader";
}
