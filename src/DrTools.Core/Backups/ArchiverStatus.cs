namespace DrTools.Core.Backups;

public sealed record ArchiverStatus(string Member, long ArchivedCount, string? LastArchivedWal, DateTimeOffset? LastArchivedTime,
    long FailedCount, string? LastFailedWal, DateTimeOffset? LastFailedTime)
{
    /// <summary>Failing now: the last failure is more recent than the last success.</summary>
    public bool Failing => LastFailedTime is { } failed && (LastArchivedTime is not { } archived || failed > archived);
}
