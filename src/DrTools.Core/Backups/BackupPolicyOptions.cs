namespace DrTools.Core.Backups;

public sealed record BackupPolicyOptions
{
    public TimeSpan? MaxBackupAge { get; init; }
    public RetentionPolicy? Retention { get; init; }
    /// <summary>The clock the ages and retention are judged by (tests pin it).</summary>
    public DateTimeOffset? Now { get; init; }
}
