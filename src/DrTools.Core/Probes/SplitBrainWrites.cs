namespace DrTools.Core.Probes;

/// <summary>Acknowledged writes of another member than the final primary once it was one, the lost among them, and their span.</summary>
public sealed record SplitBrainWrites(int Count, int Lost, IReadOnlyList<string> Members, TimeSpan? From, TimeSpan? To);
