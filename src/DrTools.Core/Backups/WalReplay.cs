using System.Globalization;
using System.Text.RegularExpressions;
using DrTools.Core.Postgres;

namespace DrTools.Core.Backups;

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

    /// <summary>
    /// Replay read from the earliest PostgreSQL backup and, each time it stops before the end of the archive, again from
    /// the first backup that begins after that place: a damaged or missing segment cuts off the backups before it, not
    /// the ones after. Empty without a PostgreSQL backup.
    /// </summary>
    public static async Task<IReadOnlyList<(BackupRecord From, WalReplayCheck Replay)>> PassesAsync(
        BackupRepository repository, CancellationToken cancellationToken)
    {
        // In WAL order: of backups taken at once, the one that ends first in WAL may finish last by the clock (its reference
        // waited for the other's), and it is where replay starts.
        var backups = repository.Backups.Where(b => b.Engine is null).OrderBy(b => Lsn.Parse(b.EndLsn)).ThenBy(b => b.FinishedAt).ToList();
        var passes = new List<(BackupRecord, WalReplayCheck)>();
        for (var from = backups.FirstOrDefault(); from is not null;)
        {
            var replay = await CheckAsync(repository, from, cancellationToken);
            passes.Add((from, replay));
            if (replay.Break is null && replay.Missing is null) break;
            // A later backup only: replay that stops inside a backup's own first segment ends before the backup starts.
            from = backups.Skip(backups.IndexOf(from) + 1).FirstOrDefault(b => Lsn.Parse(b.StartLsn) > replay.End);
        }
        return passes;
    }

    public static async Task<WalReplayCheck> CheckAsync(
        BackupRepository repository, BackupRecord backup, CancellationToken cancellationToken)
    {
        // pg_waldump reads one timeline's file names: a private folder names each segment recovery would read as the
        // newest timeline's.
        var folder = Directory.CreateTempSubdirectory("drtools-wal-");
        try
        {
            var fromBackup = new List<string>();
            var own = new BackupOwnWal(repository, backup, Path.Combine(folder.FullName, "backup"));
            var read = await ReadAsync(repository, backup, folder.FullName, own, fromBackup, cancellationToken);
            return read with { FromBackup = fromBackup };
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static async Task<WalReplayCheck> ReadAsync(BackupRepository repository, BackupRecord backup, string folder,
        BackupOwnWal own, List<string> fromBackup, CancellationToken cancellationToken)
    {
        var from = Lsn.Parse(backup.StartLsn);
        var files = WalArchive.Segments(repository).ToDictionary(f => f.Name, StringComparer.Ordinal);
        var (stretches, historyProblem) = Chain(repository, backup.Timeline);
        var newest = stretches[^1].Timeline;
        byte[]? reference = null;
        var chosen = new Dictionary<ulong, string>();
        string? problem = null;
        Lsn? problemAt = null;
        var position = from.Value / (ulong)WalArchive.SegmentSize;
        string stoppedIn;
        for (var fileTimeline = 0; ; position++)
        {
            // As recovery reads a segment: the newest timeline of the chain begun by then whose file is archived,
            // falling back to older ones, but never older than the last file read.
            var candidates = stretches.Where(s => Segment(s.Begin) <= position && s.Timeline >= fileTimeline)
                .Select(s => Name(s.Timeline, position)).Reverse().ToList();
            // Per timeline the archive's copy when whole (restore_command refuses a short one), else the backup's own.
            stoppedIn = candidates.FirstOrDefault(n => Whole(files.GetValueOrDefault(n)) || own.Copy(n) is not null)
                ?? candidates.FirstOrDefault(files.ContainsKey) ?? candidates[0];
            var archived = files.GetValueOrDefault(stoppedIn);
            var file = Whole(archived) ? archived : own.Copy(stoppedIn) ?? archived;
            if (file is null) break;
            if (file != archived) fromBackup.Add(stoppedIn);
            var timeline = TimelineOf(stoppedIn);
            var header = WalPageHeaders.ReadFirst(file);
            reference ??= header;
            // A page may be of any timeline of the chain recovery follows, as recovery allows, never of a later one.
            problem = WalPageHeaders.FirstPageProblem(header, reference, newest, Start(position), file.Length);
            if (problem is not null) break;
            chosen[position] = stoppedIn;
            fileTimeline = timeline;
            File.CreateSymbolicLink(Path.Combine(folder, Name(newest, position)), file.FullName);
            if (WalPageHeaders.LaterPageProblem(file, header, reference, newest, Start(position)) is { } page)
            {
                (problemAt, problem) = page;
                break;
            }
        }
        var stop = problemAt ?? Start(position);
        var dump = new Dump(folder, newest, from, reference is null ? 0 : WalPageHeaders.PageSize(reference));
        var damage = stop > from ? await WalDump.CheckAsync(dump.Folder, newest, from, stop, cancellationToken) : null;
        var limit = damage?.At ?? stop;
        foreach (var (stretch, parent) in stretches.Skip(1).Zip(stretches))
        {
            if (stretch.Begin <= from || stretch.Begin >= limit) continue;
            if (await HistoryProblemAsync(dump, stretch, parent.Timeline, chosen, cancellationToken) is { } lie)
            {
                return await dump.BrokenAsync(stretch.Begin, parent.Timeline, chosen[Segment(stretch.Begin)], lie, cancellationToken);
            }
        }
        if (damage is not null) return await DamagedAsync(damage, dump, chosen, stoppedIn, cancellationToken);
        if (problem is not null)
        {
            var timeline = TimelineOf(stoppedIn);
            return await dump.BrokenAsync(stop, timeline, stoppedIn, $"segment {stoppedIn} on timeline {timeline} at {stop}: {problem}",
                cancellationToken);
        }
        return Beyond(repository, files.Values, stop, chosen.GetValueOrDefault(position - 1), historyProblem, stoppedIn);
    }

    private static bool Whole(FileInfo? segment) => segment?.Length == WalArchive.SegmentSize;

    /// <summary>The folder of segments read, and how far replay gets before a break.</summary>
    private sealed record Dump(string Folder, int Timeline, Lsn From, int PageSize)
    {
        /// <summary>
        /// Reads the segment before the one holding <paramref name="end"/> on (enough for any record), and from the start
        /// when no commit is there. Never past <paramref name="end"/> (a segment switch's record ends at its segment's end,
        /// beyond a break after it).
        /// </summary>
        public async Task<WalDump.Reach> ReachAsync(Lsn end, CancellationToken cancellationToken)
        {
            var segmentBefore = Math.Max(Segment(end), 1) - 1;
            var begin = Start(segmentBefore) > From ? Start(segmentBefore) : From;
            if (end <= begin) return new WalDump.Reach(end < From ? From : end, null);
            var reach = await WalDump.ReachAsync(Folder, Timeline, begin, end, PageSize, cancellationToken);
            if (reach.LastCommit is null && begin > From)
            {
                var whole = await WalDump.ReachAsync(Folder, Timeline, From, end, PageSize, cancellationToken);
                reach = reach with { LastCommit = whole.LastCommit };
            }
            return reach.End < end ? reach : reach with { End = end };
        }

        /// <summary>The check's answer for a break at <paramref name="end"/>: replay's reach before it, and why.</summary>
        public async Task<WalReplayCheck> BrokenAsync(Lsn end, int timeline, string segment, string why,
            CancellationToken cancellationToken)
        {
            var reach = await ReachAsync(end, cancellationToken);
            return new WalReplayCheck(reach.End, timeline, segment, why, null) { LastCommit = reach.LastCommit };
        }
    }

    /// <summary>
    /// Whether the WAL agrees with the history file on where <paramref name="stretch"/>'s timeline begins: there, the
    /// promotion wrote an end-of-recovery record (or a shutdown checkpoint) naming the timeline and its parent, in a
    /// segment of that timeline. A history file that says otherwise has been edited or belongs elsewhere.
    /// </summary>
    private static async Task<string?> HistoryProblemAsync(
        Dump dump, Stretch stretch, int parent, IReadOnlyDictionary<ulong, string> chosen, CancellationToken cancellationToken)
    {
        var says = $"timeline history file {stretch.Timeline:X8}.history says timeline {stretch.Timeline} begins at {stretch.Begin}";
        var segment = chosen[Segment(stretch.Begin)];
        if (TimelineOf(segment) != stretch.Timeline)
        {
            return $"{says}, but no segment of timeline {stretch.Timeline} holds that place (recovery reads {segment} there)";
        }
        var first = await WalDump.FirstRecordAsync(dump.Folder, dump.Timeline, stretch.Begin, cancellationToken);
        if (first is not null && first.At >= stretch.Begin && first.At.Value - stretch.Begin.Value <= WalPageHeaders.LongHeaderSize
            && TimelineBegins().Match(first.Description) is { Success: true } begins
            && begins.Groups["timeline"].Value == stretch.Timeline.ToString(CultureInfo.InvariantCulture)
            && begins.Groups["parent"].Value == parent.ToString(CultureInfo.InvariantCulture))
        {
            return null;
        }
        var found = first is null ? "no record reads there"
            : $"the first record from there is at {first.At}: "
                + (first.Description.Length > 80 ? first.Description[..80] + "…" : first.Description);
        return $"{says}, but the WAL does not begin it there ({found}; a timeline begins with an end-of-recovery record or a "
            + $"shutdown checkpoint naming it and its parent {parent})";
    }

    /// <summary>
    /// Reading stopped at <paramref name="end"/> because <paramref name="next"/> is not archived: a gap when later
    /// segments of that timeline are, a break when other later segments are (which recovery cannot reach), else the end.
    /// </summary>
    private static WalReplayCheck Beyond(
        BackupRepository repository, IEnumerable<FileInfo> files, Lsn end, string? lastRead, string? historyProblem, string next)
    {
        var segment = lastRead ?? next;
        var timeline = TimelineOf(segment);
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
                || !Lsn.TryParse(fields[1], out var switchPoint))
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

    /// <summary>The check's answer for damage pg_waldump found, in the segment of the archive it read there.</summary>
    private static async Task<WalReplayCheck> DamagedAsync(WalDump.Damage damage, Dump dump,
        IReadOnlyDictionary<ulong, string> chosen, string stoppedIn, CancellationToken cancellationToken)
    {
        if (damage.At is not { } at)
        {
            var first = chosen.GetValueOrDefault(Segment(dump.From), stoppedIn);
            return new WalReplayCheck(dump.From, TimelineOf(first), first,
                $"the archived WAL from segment {first} on does not read, at a place pg_waldump does not name: {damage.Message}",
                null);
        }
        var segment = chosen.GetValueOrDefault(Segment(at), stoppedIn);
        var timeline = TimelineOf(segment);
        var message = WalDump.RealNames(damage.Message, link => chosen.GetValueOrDefault(WalArchive.Position(link)));
        return await dump.BrokenAsync(at, timeline, segment, $"segment {segment} on timeline {timeline} is damaged at {at}: {message}",
            cancellationToken);
    }

    private static ulong Segment(Lsn lsn) => lsn.Value / (ulong)WalArchive.SegmentSize;

    private static int TimelineOf(string segment) => Convert.ToInt32(segment[..8], 16);

    private static Lsn Start(ulong position) => new(position * (ulong)WalArchive.SegmentSize);

    private static string Name(int timeline, ulong position) =>
        $"{timeline:X8}{position / SegmentsPerLog:X8}{position % SegmentsPerLog:X8}";

    private static string HistoryFile(BackupRepository repository, int timeline) =>
        Path.Combine(repository.WalDirectory, $"{timeline:X8}.history");

    /// <summary>The description of a record that begins a timeline: "END_OF_RECOVERY tli 2; prev tli 1; …" or a shutdown
    /// checkpoint's "… tli 2; prev tli 1; …".</summary>
    [GeneratedRegex(@"^(END_OF_RECOVERY|CHECKPOINT_SHUTDOWN) .*?\btli (?<timeline>\d+); prev tli (?<parent>\d+);")]
    private static partial Regex TimelineBegins();
}
