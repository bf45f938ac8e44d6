namespace DrTools.Core.Engines;

/// <summary>
/// A member's replication position, comparable across the members of one cluster (higher is more advanced): a GTID's
/// sequence number, a replication offset. Text is how the engine writes it.
/// </summary>
public readonly record struct ReplicaPosition(long Value, string Text)
{
    public override string ToString() => Text;
}
