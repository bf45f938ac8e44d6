namespace DrTools.Core.Runbooks;

/// <summary>A condition checked continuously while the steps run; when it trips, the run stops and cleanup runs.</summary>
public sealed record AbortCondition
{
    public required string Name { get; init; }
    /// <summary>An operation that must keep passing (e.g. Test-ReplicationLag with a bound), or null for an HTTP check.</summary>
    public RunbookStep? Check { get; init; }
    public Uri? Http { get; init; }
    /// <summary>The HTTP status a healthy endpoint answers; by default any 2xx.</summary>
    public int? ExpectStatus { get; init; }
    public required TimeSpan Interval { get; init; }
    /// <summary>Longest one check may take; a slower check counts as failed.</summary>
    public required TimeSpan Timeout { get; init; }
    /// <summary>Consecutive failed checks that trip the condition.</summary>
    public required int Failures { get; init; }
    public required SourcePosition Position { get; init; }
}
