using System.Globalization;
using System.Text.RegularExpressions;
using DrTools.Core.Postgres;

namespace DrTools.Core.Backups;

/// <summary>
/// How far the archived WAL replays from a backup: <see cref="End"/> is where reading stops, on <see cref="Timeline"/>
/// in <see cref="Segment"/>. <see cref="Break"/> says why it stops there although more WAL is archived (a damaged or
/// foreign segment, a timeline whose history file is missing); <see cref="Missing"/> names a segment absent from the
/// archive where reading stops.
/// </summary>
public sealed record WalReplayCheck(Lsn End, int Timeline, string Segment, string? Break, string? Missing)
{
    public override string ToString() => $"{End} in segment {Segment} on timeline {Timeline}";
}

/// <summary>
/// Reads the archive the way a recovery does: along the timeline history chain that recovery_target_timeline 'latest'
/// follows from the backup's timeline, segment by segment (page header magic, timeline, address, system identifier)
/// and record by record (pg_waldump checks each record's length, back-link and CRC).
/// </summary>
public static partial class WalReplay
{
    private const ulong SegmentsPerLog = 0x100000000UL / WalArchive.SegmentSize;

    /// <summary>One timeline of the chain and where it begins (its parent's switch point).</summary>
    private sealed record Stretch(int Timeline, Lsn Begin);

    public static async Task<WalReplayCheck> CheckAsync(
        BackupRepository repository, BackupRecord backup, CancellationToken cancellationToken)
    {
        var from = Lsn.Parse(backup.StartLsn);
        var files = WalArchive.Segments(repository).ToDictionary(f => f.Name, StringComparer.Ordinal);
        var (stretches, historyProblem) = Chain(repository, backup.Timeline);
        var newest = stretches[^1].Timeline;
        // pg_waldump reads one timeline's file names: a private folder names each segment recovery would read
        // (the newest timeline of the chain that has begun by its start) as the newest timeline's.
        var folder = Directory.CreateTempSubdirectory("drtools-wal-");
        try
        {
            byte[]? reference = null;
            var chosen = new Dictionary<ulong, string>();
            string? problem = null;
            Lsn? problemAt = null;
            var position = from.Value / (ulong)WalArchive.SegmentSize;
            for (; ; position++)
            {
                var timeline = stretches.Last(s => s.Begin.Value / (ulong)WalArchive.SegmentSize <= position).Timeline;
                var name = Name(timeline, position);
                if (!files.TryGetValue(name, out var file)) break;
                var header = WalPageHeaders.ReadFirst(file);
                reference ??= header;
                problem = WalPageHeaders.FirstPageProblem(header, reference, timeline, Start(position), file.Length);
                if (problem is not null) break;
                chosen[position] = name;
                File.CreateSymbolicLink(Path.Combine(folder.FullName, Name(newest, position)), file.FullName);
                if (WalPageHeaders.LaterPageProblem(file, reference, timeline, Start(position)) is { } page)
                {
                    (problemAt, problem) = page;
                    break;
                }
            }
            var stop = problemAt ?? Start(position);
            if (stop > from && await DumpAsync(folder.FullName, newest, from, stop, cancellationToken) is { } damage)
            {
                return Damaged(damage, chosen, from);
            }
            var last = stretches.Last(s => s.Begin.Value / (ulong)WalArchive.SegmentSize <= position).Timeline;
            if (problem is not null)
            {
                var segment = Name(last, position);
                return new WalReplayCheck(stop, last, segment, $"segment {segment} on timeline {last} at {stop}: {problem}", null);
            }
            return Beyond(repository, files.Values, stop, last, historyProblem, Name(last, position));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Reading stopped at <paramref name="end"/> because <paramref name="next"/> is not archived: a gap when later
    /// segments of that timeline are, a break when other later segments are (which recovery cannot reach), else the end.
    /// </summary>
    private static WalReplayCheck Beyond(
        BackupRepository repository, IEnumerable<FileInfo> files, Lsn end, int timeline, string? historyProblem, string next)
    {
        var segment = end.Value == 0 ? next : Name(timeline, (end.Value - 1) / (ulong)WalArchive.SegmentSize);
        var later = files.Where(f => WalArchive.Start(f.Name) >= end)
            .OrderBy(f => WalArchive.Position(f.Name)).ThenBy(f => f.Name, StringComparer.Ordinal).ToList();
        if (later.Count == 0) return new WalReplayCheck(end, timeline, segment, null, null);
        if (later.Any(f => f.Name[..8] == next[..8])) return new WalReplayCheck(end, timeline, segment, null, next);
        var first = later[0].Name;
        var theirs = Convert.ToInt32(first[..8], 16);
        var why = historyProblem
            ?? (theirs > timeline && !File.Exists(HistoryFile(repository, theirs))
                ? $"its history file {Path.GetFileName(HistoryFile(repository, theirs))} is missing from the archive, "
                    + $"so recovery does not follow timeline {theirs}"
                : $"timeline {theirs} is not on the timeline history chain recovery follows from the backup");
        return new WalReplayCheck(end, timeline, segment,
            $"replay ends at {end} after segment {segment} on timeline {timeline} ({next} is not archived), "
            + $"but {later.Count} later segment(s) are archived from {first} (timeline {theirs}): {why}", null);
    }

    /// <summary>
    /// The timelines recovery follows: like recovery_target_timeline 'latest', the newest timeline whose history file
    /// follows the backup's in an unbroken run, and that history's switch points.
    /// </summary>
    private static (IReadOnlyList<Stretch> Stretches, string? Problem) Chain(BackupRepository repository, int backupTimeline)
    {
        var newest = backupTimeline;
        while (File.Exists(HistoryFile(repository, newest + 1))) newest++;
        IReadOnlyList<Stretch> backupsOwn = [new Stretch(backupTimeline, new Lsn(0))];
        if (newest == backupTimeline) return (backupsOwn, null);
        var file = HistoryFile(repository, newest);
        var switches = new List<(int Timeline, Lsn End)>();
        var lineNumber = 0;
        foreach (var line in File.ReadAllLines(file))
        {
            lineNumber++;
            var text = line.Trim();
            if (text.Length == 0 || text.StartsWith('#')) continue;
            var fields = text.Split('\t', ' ');
            if (fields.Length < 2 || !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var parent)
                || !TryParseLsn(fields[1], out var switchPoint))
            {
                return (backupsOwn, $"timeline history file {Path.GetFileName(file)} is damaged at line {lineNumber}");
            }
            switches.Add((parent, switchPoint));
        }
        // The backup's timeline begins at 0/0 for this purpose: recovery starts on it.
        var stretches = new List<Stretch>();
        var begin = new Lsn(0);
        foreach (var (parent, switchPoint) in switches)
        {
            if (parent >= backupTimeline) stretches.Add(new Stretch(parent, stretches.Count == 0 ? new Lsn(0) : begin));
            begin = switchPoint;
        }
        stretches.Add(new Stretch(newest, begin));
        if (stretches[0].Timeline != backupTimeline)
        {
            return (backupsOwn,
                $"timeline {newest}'s history ({Path.GetFileName(file)}) does not descend from the backup's timeline {backupTimeline}");
        }
        return (stretches, null);
    }

    /// <summary>
    /// Where pg_waldump stopped and why. A damaged record is named by its position; a damaged page by its segment
    /// and offset (the address in such a message is the bad header's own, not a place); a few long-header refusals
    /// name no place at all (<see cref="Damage.At"/> null).
    /// </summary>
    private sealed record Damage(Lsn? At, string Message);

    /// <summary>pg_waldump from <paramref name="begin"/> to <paramref name="end"/>: null if all records read, else the damage.</summary>
    private static async Task<Damage?> DumpAsync(string folder, int timeline, Lsn begin, Lsn end, CancellationToken cancellationToken)
    {
        var tool = PgBinaries.Locate().Tool("pg_waldump");
        var result = await Processes.CommandRunner.RunAsync(new Processes.CommandSpec("pg_waldump of the archived WAL", tool,
            ["--quiet", "-p", folder, "-t", timeline.ToString(CultureInfo.InvariantCulture), "-s", begin.ToString(), "-e", end.ToString()])
        {
            RequireSuccess = false,
            Timeout = TimeSpan.FromHours(2),
        }, cancellationToken);
        if (result.ExitCode == 0) return null;
        var message = result.StandardError.Trim().Split('\n')[^1];
        message = ErrorPrefix().Replace(message, "").Trim();
        Lsn? at = null;
        if (PageInSegment().Match(message) is { Success: true } page)
        {
            at = new Lsn(WalArchive.Start(page.Groups["segment"].Value).Value
                + ulong.Parse(page.Groups["offset"].Value, CultureInfo.InvariantCulture));
        }
        else if (WholeFile().Match(message) is { Success: true } file)
        {
            at = WalArchive.Start(file.Groups["segment"].Value);
        }
        else if (LsnPattern().Matches(message) is { Count: > 0 } positions && TryParseLsn(positions[^1].Value, out var lsn))
        {
            at = lsn;
        }
        return new Damage(at is { } known && known < begin ? begin : at, message);
    }

    /// <summary>The check's answer for damage pg_waldump found, in the segment of the archive it read there.</summary>
    private static WalReplayCheck Damaged(Damage damage, IReadOnlyDictionary<ulong, string> chosen, Lsn from)
    {
        if (damage.At is not { } at)
        {
            var first = chosen[from.Value / (ulong)WalArchive.SegmentSize];
            return new WalReplayCheck(from, Convert.ToInt32(first[..8], 16), first,
                $"the archived WAL from segment {first} on does not read, at a place pg_waldump does not name: {damage.Message}",
                null);
        }
        var segment = chosen[at.Value / (ulong)WalArchive.SegmentSize];
        var timeline = Convert.ToInt32(segment[..8], 16);
        return new WalReplayCheck(at, timeline, segment,
            $"segment {segment} on timeline {timeline} is damaged at {at}: {damage.Message}", null);
    }

    private static Lsn Start(ulong position) => new(position * (ulong)WalArchive.SegmentSize);

    private static string Name(int timeline, ulong position) =>
        $"{timeline:X8}{position / SegmentsPerLog:X8}{position % SegmentsPerLog:X8}";

    private static string HistoryFile(BackupRepository repository, int timeline) =>
        Path.Combine(repository.WalDirectory, $"{timeline:X8}.history");

    private static bool TryParseLsn(string text, out Lsn lsn)
    {
        try
        {
            lsn = Lsn.Parse(text);
            return true;
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            lsn = default;
            return false;
        }
    }

    /// <summary>"pg_waldump: error: error in WAL record at 0/4000090: ": that names the record before the failing one.</summary>
    [GeneratedRegex("^.*?error: (error in WAL record at [0-9A-F]+/[0-9A-F]+: )?")]
    private static partial Regex ErrorPrefix();

    [GeneratedRegex("[0-9A-F]{1,8}/[0-9A-F]{1,8}")]
    private static partial Regex LsnPattern();

    /// <summary>"… in log segment 000000010000000000000005, offset 8192" (PostgreSQL 16+: "in WAL segment …, LSN …, offset …").</summary>
    [GeneratedRegex("in (?:log|WAL) segment (?<segment>[0-9A-F]{24})(?:, LSN [0-9A-F]+/[0-9A-F]+)?, offset (?<offset>[0-9]+)")]
    private static partial Regex PageInSegment();

    [GeneratedRegex("WAL file \"(?<segment>[0-9A-F]{24})\"")]
    private static partial Regex WholeFile();
}
