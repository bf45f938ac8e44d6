using System.Security.Cryptography;
using System.Text.Json;
using DrTools.Core.Cluster;
using DrTools.Core.Integrity;
using DrTools.Core.Postgres;
using DrTools.Core.Processes;
using Npgsql;

namespace DrTools.Core.Backups;

public sealed record BackupOptions
{
    public BackupCompression Compression { get; init; } = BackupCompression.Gzip;
    /// <summary>Record table checksums to hold restores to (default on).</summary>
    public bool RecordReference { get; init; } = true;
    public IReadOnlyList<string>? ReferenceTables { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(30);
}
