using System.Globalization;
using DrTools.Core.Postgres;

namespace DrTools.Core.Backups;

public static class WalArchive
{
    public const long SegmentSize = 16L * 1024 * 1024;
    private const ulong SegmentsPerLog = 0x100000000UL / SegmentSize;

    /// <summary>
    /// Walks the archived segments (file names TTTTTTTTXXXXXXXXYYYYYYYY: timeline, then position) from the segment
    /// holding <paramref name="from"/> to the newest one. A position no timeline has is missing; it is named on the
    /// timeline of the segment before it.
    /// </summary>
    public static WalContinuity Scan(BackupRepository repository, Lsn from)
    {
        var byPosition = Segments(repository).GroupBy(f => Position(f.Name)).ToDictionary(g => g.Key, g => g.Max(f => f.Name)!);
        var first = from.Value / (ulong)SegmentSize;
        if (byPosition.Count == 0) return new WalContinuity(from, [], null);
        var last = byPosition.Keys.Max();
        var missing = new List<string>();
        ulong? gapAt = null;
        var timeline = byPosition.TryGetValue(first, out var firstName) ? firstName[..8]
            : byPosition.Where(p => p.Key < first).Select(p => p.Value[..8]).DefaultIfEmpty("00000001").Max()!;
        for (var position = first; position <= last; position++)
        {
            if (byPosition.TryGetValue(position, out var name))
            {
                timeline = name[..8];
                continue;
            }
            missing.Add($"{timeline}{position / SegmentsPerLog:X8}{position % SegmentsPerLog:X8}");
            gapAt ??= position;
        }
        var end = new Lsn((gapAt ?? last + 1) * (ulong)SegmentSize);
        return new WalContinuity(end, missing, byPosition[last]);
    }

    /// <summary>The archived WAL segment files (not history or backup-label files).</summary>
    public static IEnumerable<FileInfo> Segments(BackupRepository repository) =>
        Directory.Exists(repository.WalDirectory)
            ? new DirectoryInfo(repository.WalDirectory).GetFiles().Where(f => f.Name.Length == 24 && f.Name.All(Uri.IsHexDigit))
            : [];

    /// <summary>A segment's position in the WAL regardless of timeline: segment number counted from 0/0.</summary>
    public static ulong Position(string segmentName) =>
        ulong.Parse(segmentName.AsSpan(8, 8), NumberStyles.HexNumber) * SegmentsPerLog + ulong.Parse(segmentName.AsSpan(16, 8),
            NumberStyles.HexNumber);

    public static Lsn Start(string segmentName) => new(Position(segmentName) * (ulong)SegmentSize);

    /// <summary>
    /// An archive_command copying each finished segment into <paramref name="directory"/>: under a temporary name, then
    /// renamed (a copy that fails, on a full disk, is removed); a file already there is accepted only if identical. The
    /// copy keeps the segment's modification time, when its last WAL was written: a commit after it is in a later
    /// segment, however late the archiver copies this one, so the recoverable window's latest time can rest on it.
    /// </summary>
    public static string ArchiveCommand(string directory) =>
        $"if test -f \"{directory}/%f\"; then cmp -s \"%p\" \"{directory}/%f\"; " +
        $"else cp -p \"%p\" \"{directory}/%f.tmp\" && mv \"{directory}/%f.tmp\" \"{directory}/%f\" " +
        $"|| {{ rm -f \"{directory}/%f.tmp\"; false; }}; fi";

    /// <summary>
    /// A restore_command serving files of <paramref name="directory"/>, a segment only when it is whole: PostgreSQL stops
    /// the whole restore with a FATAL at a short one ("has wrong size"), where the recoverable window ends at its start
    /// and a target before it is reached, as at a damaged segment. History and backup files (named with a dot) as they are.
    /// </summary>
    public static string RestoreCommand(string directory) =>
        $"case \"%f\" in *.*) ;; *) test \"$(stat -c %%s \"{directory}/%f\" 2>/dev/null)\" = {SegmentSize} || exit 1;; esac; "
            + $"cp \"{directory}/%f\" \"%p\"";
}
