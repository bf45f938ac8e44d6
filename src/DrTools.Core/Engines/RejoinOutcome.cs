namespace DrTools.Core.Engines;

/// <summary>How an old primary came back: whether it replicates from the new primary now, and how (or why not).</summary>
public sealed record RejoinOutcome(bool Rejoined, string Detail)
{
    /// <summary>The copy of the new primary when the old one was rebuilt from it.</summary>
    public RebuildCopy? Copy { get; init; }

    /// <summary>
    /// The transactions it held that the new primary lacks (discarded by a rebuild, or never replicated); null: not counted.
    /// </summary>
    public Failover.DiscardedTransactions? Discarded { get; init; }
}
