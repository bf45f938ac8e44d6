namespace DrTools.Core.Engines;

/// <summary>
/// How a store's lag figures are measured: the target its "lag" (in <see cref="IReplicaSet.LagUnit"/>) is held against,
/// and the method texts of "lag" and "replay lag" a report prints.
/// </summary>
public sealed record LagMethod(double? BehindTarget, string Behind, string Seconds)
{
    /// <summary>The longest a timed catch-up is waited for, past which "replay lag" counts as more; null where the store
    /// reports the seconds itself.</summary>
    public double? SecondsLimit { get; init; }
}
