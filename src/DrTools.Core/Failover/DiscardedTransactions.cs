namespace DrTools.Core.Failover;

/// <summary>
/// Transactions the old primary committed that the new primary never had (beyond the point where the new primary took
/// over), discarded when the old primary was rewound or rebuilt: acknowledged writes lost whether or not a probe wrote
/// then. Count null when it is not known (the old primary was not rejoined, or its WAL could not be read).
/// </summary>
public sealed record DiscardedTransactions(long? Count, string Method)
{
    public const string FigureName = "transactions discarded from the old primary";

    public static DiscardedTransactions Unknown(string why) => new(null, why);

    /// <summary>Unknown: the old primary is not a member whose WAL DrTools reads.</summary>
    public static DiscardedTransactions NotControlled(string member) =>
        Unknown($"DrTools cannot read {member}'s WAL (not a member it controls)");

    /// <summary>
    /// The figure, held to 0 when the RPO target is 0 (committed transactions lost is data lost); null when the count is
    /// unknown, which is never reported as 0.
    /// </summary>
    public Measurement? Figure(TimeSpan? rpoTarget) => Count is { } count
        ? new Measurement(FigureName, count, "transactions", rpoTarget == TimeSpan.Zero && HeldToRpo ? 0 : null, Method)
        : null;

    /// <summary>
    /// False when every commit waited for the promoted member before it was acknowledged (synchronous replication):
    /// those it lacks were never acknowledged, and are reported, not held to the RPO.
    /// </summary>
    public bool HeldToRpo { get; init; } = true;

    /// <summary>Counted, but never acknowledged by <paramref name="why"/>: reported, not held to the RPO.</summary>
    public DiscardedTransactions Unacknowledged(string why) => Count is null or 0 ? this : this with
    {
        HeldToRpo = false,
        Method = $"{Method}; not held to the RPO: {why}",
    };

    /// <summary>What the drill's state says when the count is unknown.</summary>
    public string? UnknownNote => Count is null ? $"{FigureName}: unknown ({Method})" : null;
}
