namespace DrTools.Core.Probes;

/// <summary>
/// From the first poll at which two or more members said they were the primary to the first poll after the last such one.
/// </summary>
public sealed record SplitBrainWindow(TimeSpan From, TimeSpan To, IReadOnlyList<string> Members)
{
    public TimeSpan Duration => To - From;

    /// <summary>The last round the watch made still found two primaries: the split brain lasted longer than it saw.</summary>
    public bool Ongoing { get; init; }
}
