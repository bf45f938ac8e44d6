namespace DrTools.Core.Backups;

public sealed record BackupVerificationOptions
{
    public string? BackupId { get; init; }
    public TimeSpan? RtoTarget { get; init; }
    /// <summary>Leave the restored instance running (and listed as a sandbox) instead of removing it.</summary>
    public bool KeepInstance { get; init; }
    /// <summary>Folder the instance is made in (default: the sandbox folder).</summary>
    public string? Root { get; init; }
    public TimeSpan RecoveryTimeout { get; init; } = TimeSpan.FromMinutes(30);
    /// <summary>Told of each phase as the verification enters it.</summary>
    public IProgress<OperationProgress>? Progress { get; init; }
}
