using DrTools.Core.Integrity;

namespace DrTools.Core.Backups;

/// <summary>One base backup as the catalog records it. Sizes in bytes; LSNs and timeline from its backup_manifest.</summary>
public sealed record BackupRecord(
    string Id,
    string Source,
    string User,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    string StartLsn,
    string EndLsn,
    int Timeline,
    long SizeBytes,
    string Compression,
    int ServerMajorVersion)
{
    public TimeSpan Duration => FinishedAt - StartedAt;

    /// <summary>Table counts and checksums at <see cref="ReferenceLsn"/>, what a restore to that point must show.</summary>
    public DbChecksum? Reference { get; init; }
    public string? ReferenceLsn { get; init; }
    public string? ReferenceMethod { get; init; }
    /// <summary>The store backed up: null for PostgreSQL (a base backup), else mariadb or redis.</summary>
    public string? Engine { get; init; }
    /// <summary>What was taken, for another engine: dump (mariadb-dump) or physical (mariadb-backup); rdb or aof (Redis).</summary>
    public string? Kind { get; init; }
    /// <summary>The repository the record was read from (not stored: it is where the catalog was found), so a record carries where to find
    /// its backup.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public string? Repository { get; init; }
}
