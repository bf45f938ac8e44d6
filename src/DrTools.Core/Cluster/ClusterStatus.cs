namespace DrTools.Core.Cluster;

/// <summary>
/// A cluster at one moment. Healthy only when every member answered, exactly one is primary, every standby streams
/// from it and every slot on it is active; otherwise <see cref="Problems"/> says what is wrong, naming the member.
/// </summary>
public sealed record ClusterStatus(string Target, DateTimeOffset CheckedAt, IReadOnlyList<MemberStatus> Members,
    IReadOnlyList<ReplicationSlotStatus> Slots, IReadOnlyList<string> Problems)
{
    public bool Healthy => Problems.Count == 0;

    /// <summary>What leaves the cluster healthy but bears on a drill's figures (an account read_only does not stop).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The store: postgresql, mariadb or redis.</summary>
    public string Engine { get; init; } = Engines.StoreEngines.PostgreSql;

    /// <summary>What a member's position is, as a column names it: LSN, GTID, offset.</summary>
    public required string PositionName { get; init; }

    /// <summary>
    /// What was checked beyond roles and positions, or left unchecked and why, one line each (Redis: whether the replicas'
    /// data was compared with the primary's).
    /// </summary>
    public IReadOnlyList<string> Checks { get; init; } = [];

    /// <summary>What the cluster's HA manager (Patroni …) says, when it has one; its disagreements are among the problems.</summary>
    public HaManagerStatus? HaManager { get; init; }

    public MemberStatus? Primary => Members.Count(m => m.Role == MemberRole.Primary) == 1
        ? Members.Single(m => m.Role == MemberRole.Primary) : null;

    public IEnumerable<MemberStatus> Standbys => Members.Where(m => m.Role == MemberRole.Standby);

    /// <summary>
    /// The standbys a drill may promote: a diverged one holds writes the primary never had, and promoting it would spread
    /// them and lose the primary's own.
    /// </summary>
    public IEnumerable<MemberStatus> Promotable => Standbys.Where(s => s.Divergence is null);

    /// <summary>A drill plan's step for each diverged standby: left as it was, never promoted.</summary>
    public IEnumerable<string> NeverPromotedSteps =>
        Standbys.Where(s => s.Divergence is not null).Select(s => $"never promote {s.Display} nor re-point it: it is {s.Divergence}");

    /// <summary>
    /// The primary that lag is measured from, once every member answered: an unreachable replica's lag is unknown, and
    /// leaving it out would let a lag check pass on the replicas that answered.
    /// </summary>
    public MemberStatus PrimaryForLag(string store)
    {
        var primary = Primary ?? throw new DrToolsException($"lag of {store} cannot be measured: {Verdict}", DrErrorKind.InvalidOperation);
        if (Members.FirstOrDefault(m => m.Role == MemberRole.Unreachable) is { } unreachable)
        {
            throw new DrToolsException($"lag of {store} cannot be measured: {unreachable.Display} is unreachable: {unreachable.Error}",
                DrErrorKind.ConnectionFailed);
        }
        // A diverged standby's distance from the primary is no count of transactions: a lag of 0 would pass it.
        if (Members.FirstOrDefault(m => m.Divergence is not null) is { } diverged)
        {
            throw new DrToolsException($"lag of {store} cannot be measured: {diverged.Display} is {diverged.Divergence}",
                DrErrorKind.InvalidOperation);
        }
        // A replica applying nothing has no lag figure worth a bound: MariaDB's Seconds_Behind_Master is then NULL, not 0.
        if (Standbys.FirstOrDefault(m => m.ReplicationError is not null) is { } stopped)
        {
            throw new DrToolsException(
                $"lag of {store} cannot be measured: {stopped.Display} is not replicating: {stopped.ReplicationError}",
                DrErrorKind.InvalidOperation);
        }
        return primary;
    }

    /// <summary>The primary a drill needs, or its refusal naming the target and what is wrong.</summary>
    public MemberStatus PrimaryFor(Failover.FailoverMode mode) =>
        Primary ?? throw new DrToolsException($"{mode} of {Target} refused: it needs exactly one primary: {Verdict}",
            DrErrorKind.InvalidOperation);

    /// <summary>The standby a user chose to promote (name or host:port), refused when it is not a member or not a standby.</summary>
    public MemberStatus ChosenCandidate(string chosen)
    {
        var candidate = Members.FirstOrDefault(m => m.Name == chosen || m.Endpoint == chosen)
            ?? throw new DrToolsException($"candidate '{chosen}' is not a member of {Target} (members: "
                + $"{string.Join(", ", Members.Select(m => m.Display))}).", DrErrorKind.InvalidArgument);
        if (candidate.Divergence is { } divergence)
        {
            throw DrToolsException.Refused($"{candidate.Display} cannot be promoted: it is {divergence}",
                DrErrorKind.InvalidOperation);
        }
        return candidate.Role == MemberRole.Standby ? candidate
            : throw new DrToolsException($"{candidate.Display} cannot be promoted: "
                + $"{(candidate.Role == MemberRole.Unreachable ? $"it is unreachable: {candidate.Error}" : "it is the primary")}. Nothing "
                + $"was changed.", DrErrorKind.InvalidOperation);
    }

    public string Verdict => Healthy
        ? $"healthy: primary {Primary!.Display}, {Standbys.Count()} standby(s) streaming"
        : $"unhealthy: {string.Join("; ", Problems)}";
}
