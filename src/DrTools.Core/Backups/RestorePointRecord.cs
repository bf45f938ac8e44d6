namespace DrTools.Core.Backups;

/// <summary>A named restore point (pg_create_restore_point) the catalog knows of.</summary>
public sealed record RestorePointRecord(string Name, string Lsn, int Timeline, DateTimeOffset CreatedAt);
