namespace DrTools.Core.Backups;

public sealed record BackupPolicyResult
{
    public required bool Passed { get; init; }
    public required IReadOnlyList<string> Problems { get; init; }
    public required Measurement? LatestBackupAge { get; init; }
    public required ArchiverStatus? Archiver { get; init; }
    public required IReadOnlyList<string> MissingWalSegments { get; init; }
    /// <summary>Where the archived WAL stops replaying from the earliest backup, and why when more is archived.</summary>
    public WalReplayCheck? WalReplay { get; init; }
    public required IReadOnlyList<RetentionDecision> Retention { get; init; }
}
