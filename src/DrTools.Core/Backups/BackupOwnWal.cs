using System.Formats.Tar;
using System.IO.Compression;
using DrTools.Core.Postgres;

namespace DrTools.Core.Backups;

/// <summary>
/// The WAL a PostgreSQL backup holds itself (its pg_wal.tar, from its start to its end), which a restore of it puts in
/// pg_wal: recovery reads a segment from there where the archive has none (restore_command finds no file, or refuses a
/// short one), so a segment missing from the archive in that stretch does not stop a restore of that backup. Extracted
/// into <paramref name="folder"/> when first asked for.
/// </summary>
internal sealed class BackupOwnWal(BackupRepository repository, BackupRecord backup, string folder)
{
    private Dictionary<string, FileInfo>? _segments;

    /// <summary>The backup's own copy of the segment named <paramref name="name"/>, if it holds one.</summary>
    public FileInfo? Copy(string name)
    {
        var position = WalArchive.Position(name);
        if (Convert.ToInt32(name[..8], 16) != backup.Timeline || position < Position(backup.StartLsn)
            || position > Position(backup.EndLsn))
        {
            return null;
        }
        _segments ??= Extract();
        return _segments.GetValueOrDefault(name);
    }

    private static ulong Position(string lsn) => Lsn.Parse(lsn).Value / (ulong)WalArchive.SegmentSize;

    /// <summary>The backup's whole segments; none when its archive is missing or does not read (its restore fails then).</summary>
    private Dictionary<string, FileInfo> Extract()
    {
        var segments = new Dictionary<string, FileInfo>(StringComparer.Ordinal);
        var directory = repository.BackupDirectory(backup.Id);
        var archive = Directory.Exists(directory) ? Directory.GetFiles(directory, "pg_wal.tar*").FirstOrDefault() : null;
        if (archive is null) return segments;
        Directory.CreateDirectory(folder);
        try
        {
            using var file = File.OpenRead(archive);
            using var data = archive.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress)
                : (Stream)file;
            using var reader = new TarReader(data);
            while (reader.GetNextEntry() is { } entry)
            {
                var name = Path.GetFileName(entry.Name);
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || name.Length != 24
                    || !name.All(Uri.IsHexDigit) || entry.Length != WalArchive.SegmentSize)
                {
                    continue;
                }
                var path = Path.Combine(folder, name);
                entry.ExtractToFile(path, overwrite: true);
                segments[name] = new FileInfo(path);
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            return new Dictionary<string, FileInfo>(StringComparer.Ordinal);
        }
        return segments;
    }
}
