namespace DrTools.Core.Backups;

public sealed record PointInTimeOptions
{
    public required RecoveryTarget Target { get; init; }
    /// <summary>Queries that must return at least one row after the restore.</summary>
    public IReadOnlyList<string> MustExist { get; init; } = [];
    /// <summary>Queries that must return no row after the restore.</summary>
    public IReadOnlyList<string> MustNotExist { get; init; } = [];
    /// <summary>Leave the restored instance running (listed as a sandbox) for use; default true, it is the point of a restore.</summary>
    public bool KeepInstance { get; init; } = true;
    /// <summary>Keep the instance when the restore fails, for inspection (default: a failed restore removes what it made).</summary>
    public bool KeepFailedInstance { get; init; }
    public string? Root { get; init; }
    public TimeSpan RecoveryTimeout { get; init; } = TimeSpan.FromMinutes(30);
    /// <summary>Told of each phase as the restore enters it.</summary>
    public IProgress<OperationProgress>? Progress { get; init; }
}
