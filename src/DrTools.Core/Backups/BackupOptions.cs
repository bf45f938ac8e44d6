namespace DrTools.Core.Backups;

public sealed record BackupOptions
{
    public BackupCompression Compression { get; init; } = BackupCompression.Gzip;
    /// <summary>Record table checksums to hold restores to (default on).</summary>
    public bool RecordReference { get; init; } = true;
    public IReadOnlyList<string>? ReferenceTables { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(30);
}
