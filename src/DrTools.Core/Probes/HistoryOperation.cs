namespace DrTools.Core.Probes;

/// <summary>
/// One line of a drill's history.jsonl: an operation with its invoke and completion times on the drill's clock. f is
/// write (value: the sequence), read (value: the run's newest sequences the member had), fault (value: what was done),
/// final-read (value: the run's sequences on the final primary, read once the probes stopped) or, in its place, drill-error
/// (the drill ended with an error before its final read: value says so, error is the drill's error).
/// </summary>
public sealed record HistoryOperation
{
    public const string Write = "write", Read = "read", Fault = "fault", FinalRead = "final-read", DrillError = "drill-error";

    /// <summary>What a drill-error line's value says.</summary>
    public const string EndedBeforeFinalRead = "the drill ended with an error before its final read";

    /// <summary>The drill's run id (32 hex digits): its probe rows carry it, and its journal step names it.</summary>
    public required string Drill { get; init; }
    /// <summary>Who did it: the write or read probe, the nemesis (the fault), the final read or the drill (its error).</summary>
    public required string Process { get; init; }
    /// <summary>The probe's client that made the attempt (1 for its first; the last opens a new connection for every attempt).</summary>
    public int? Client { get; init; }
    /// <summary>The probe's connection the attempt used (1 for its first, numbered across its clients).</summary>
    public int? Connection { get; init; }
    public required string F { get; init; }
    /// <summary>A write's sequence.</summary>
    public long? Sequence { get; init; }
    /// <summary>A read's or the final read's sequences.</summary>
    public IReadOnlyList<long>? Sequences { get; init; }
    /// <summary>A fault's description.</summary>
    public string? Description { get; init; }
    /// <summary>A read's limit: it returns at most this many of the newest sequences.</summary>
    public int? Limit { get; init; }
    public required TimeSpan Invoke { get; init; }
    public TimeSpan? Complete { get; init; }
    /// <summary>The member that answered (the final read: the final primary).</summary>
    public string? Node { get; init; }
    /// <summary>The final read: since when its node was the primary, when the drill observed it (split brain is then decided).</summary>
    public TimeSpan? Since { get; init; }
    public required OperationOutcome Type { get; init; }
    /// <summary>In flight when the probe stopped: says nothing of the cluster.</summary>
    public bool Stopped { get; init; }
    public string? Error { get; init; }
}
