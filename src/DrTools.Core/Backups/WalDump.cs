using System.Globalization;
using System.Text.RegularExpressions;
using DrTools.Core.Postgres;
using DrTools.Core.Processes;

namespace DrTools.Core.Backups;

/// <summary>
/// pg_waldump over a folder of WAL segments named for one timeline: whether the records between two places read, the
/// first record from a place, and where the last whole record before a place ends.
/// </summary>
internal static partial class WalDump
{
    /// <summary>
    /// Where pg_waldump stopped and why. A damaged record is named by its position; a damaged page by its segment
    /// and offset (the address in such a message is the bad header's own, not a place); a few long-header refusals
    /// name no place at all (<see cref="At"/> null).
    /// </summary>
    public sealed record Damage(Lsn? At, string Message);

    /// <summary>One record as pg_waldump prints it: where it begins, its length with headers, its description.</summary>
    public sealed record Record(Lsn At, uint Length, string Description)
    {
        /// <summary>The transaction the record is of (0 for none).</summary>
        public uint Transaction { get; init; }
    }

    /// <summary>pg_waldump from <paramref name="begin"/> to <paramref name="end"/>: null if all records read, else the damage.</summary>
    public static async Task<Damage?> CheckAsync(string folder, int timeline, Lsn begin, Lsn end, CancellationToken cancellationToken)
    {
        var result = await RunAsync(folder, timeline, ["--quiet", "-s", begin.ToString(), "-e", end.ToString()], cancellationToken);
        if (result.ExitCode == 0) return null;
        var message = Error(result.StandardError);
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
        else if (LsnPattern().Matches(message) is { Count: > 0 } positions && Lsn.TryParse(positions[^1].Value, out var lsn))
        {
            at = lsn;
        }
        return new Damage(at is { } known && known < begin ? begin : at, message);
    }

    /// <summary>pg_waldump's last error line without its prefixes: what went wrong, and where.</summary>
    public static string Error(string standardError) =>
        PrintableText.OneLine(ErrorPrefix().Replace(standardError.Trim().Split('\n')[^1], "").Trim());

    /// <summary>Segment names in pg_waldump's words read through <paramref name="real"/>: the folder's links are named for
    /// one timeline, the archive's files for their own.</summary>
    public static string RealNames(string message, Func<string, string?> real) =>
        SegmentName().Replace(message, m => real(m.Value) ?? m.Value);

    /// <summary>The first record that begins at or after <paramref name="from"/>, or null when none reads there.</summary>
    public static async Task<Record?> FirstRecordAsync(string folder, int timeline, Lsn from, CancellationToken cancellationToken)
    {
        var result = await RunAsync(folder, timeline, ["-s", from.ToString(), "-n", "1"], cancellationToken);
        return Records(result.StandardOutput).FirstOrDefault();
    }

    /// <summary>How far replay gets before a break: where its last whole record ends, and the last commit it replays.</summary>
    public sealed record Reach(Lsn End, DateTimeOffset? LastCommit);

    /// <summary>
    /// Where the last record that reads whole before <paramref name="end"/> ends, reading from <paramref name="from"/>
    /// (a place where records read): recovery replays to there and no further when the WAL breaks at
    /// <paramref name="end"/> (<paramref name="from"/> when no record between them reads); and the time of the last
    /// commit among those records, null when there is none.
    /// </summary>
    public static async Task<Reach> ReachAsync(string folder, int timeline, Lsn from, Lsn end, int pageSize,
        CancellationToken cancellationToken)
    {
        // A broken read ends with an error after the records it read: those are what count.
        var result = await RunAsync(folder, timeline, ["-s", from.ToString(), "-e", end.ToString()], cancellationToken);
        var records = Records(result.StandardOutput).ToList();
        var lastCommit = records.Select(r => CommitTime().Match(r.Description)).LastOrDefault(m => m.Success) is { } commit
            ? DateTimeOffset.ParseExact(commit.Groups["at"].Value, "yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal)
            : (DateTimeOffset?)null;
        return new Reach(records.Count == 0 ? from : End(records[^1], pageSize), lastCommit);
    }

    /// <summary>Where a record ends: its length laid over the page headers it crosses; a segment switch's, its segment's end.</summary>
    private static Lsn End(Record last, int pageSize)
    {
        if (last.Description.StartsWith("SWITCH", StringComparison.Ordinal))
        {
            return new Lsn((last.At.Value / WalArchive.SegmentSize + 1) * WalArchive.SegmentSize);
        }
        var position = last.At.Value;
        ulong left = last.Length;
        for (; ; )
        {
            var pageEnd = (position / (ulong)pageSize + 1) * (ulong)pageSize;
            if (left <= pageEnd - position) return new Lsn(position + left);
            left -= pageEnd - position;
            var header = pageEnd % WalArchive.SegmentSize == 0 ? WalPageHeaders.LongHeaderSize : WalPageHeaders.ShortHeaderSize;
            position = pageEnd + (ulong)header;
        }
    }

    private static Task<CommandResult> RunAsync(string folder, int timeline, IReadOnlyList<string> arguments,
        CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(new CommandSpec("pg_waldump of the archived WAL", PgBinaries.Locate().Tool("pg_waldump"),
            ["-p", folder, "-t", timeline.ToString(CultureInfo.InvariantCulture), .. arguments])
        {
            RequireSuccess = false,
            Timeout = TimeSpan.FromHours(2),
            // pg_waldump prints commit times in its local time zone.
            Environment = new Dictionary<string, string> { ["TZ"] = "UTC" },
        }, cancellationToken);

    /// <summary>The records in pg_waldump's output.</summary>
    public static IEnumerable<Record> Records(string output) =>
        output.Split('\n').Select(line => RecordLine().Match(line)).Where(m => m.Success).Select(m => new Record(
            Lsn.Parse(m.Groups["lsn"].Value), uint.Parse(m.Groups["length"].Value, CultureInfo.InvariantCulture),
            m.Groups["desc"].Value.Trim())
        {
            Transaction = uint.Parse(m.Groups["tx"].Value, CultureInfo.InvariantCulture),
        });

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

    /// <summary>"COMMIT 2026-12-06 03:26:14.655123 UTC; …" (pg_waldump run with TZ=UTC).</summary>
    [GeneratedRegex(@"^COMMIT (?<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}) UTC")]
    private static partial Regex CommitTime();

    [GeneratedRegex("\\b[0-9A-F]{24}\\b")]
    private static partial Regex SegmentName();

    /// <summary>"rmgr: Heap len (rec/tot): 59/ 59, tx: 735, lsn: 0/03000060, prev 0/03000028, desc: INSERT …".</summary>
    [GeneratedRegex(@"len \(rec/tot\):\s*\d+/\s*(?<length>\d+), tx:\s*(?<tx>\d+), lsn: (?<lsn>[0-9A-F]+/[0-9A-F]+), "
        + @"prev [0-9A-F]+/[0-9A-F]+, desc: (?<desc>.*)$")]
    private static partial Regex RecordLine();
}
