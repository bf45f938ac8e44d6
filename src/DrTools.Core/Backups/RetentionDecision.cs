namespace DrTools.Core.Backups;

public sealed record RetentionDecision(string BackupId, DateTimeOffset FinishedAt, bool Expired, string Reason);
