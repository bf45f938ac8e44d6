using System.Text.RegularExpressions;
using DrTools.Core.Postgres;
using DrTools.Core.Processes;

namespace DrTools.Core.Failover;

/// <summary>
/// Counts the commits a stopped old primary wrote beyond the switch point of the new primary's timeline: pg_rewind
/// discards them. Read in the old primary's own pg_wal before the rewind, with pg_waldump.
/// </summary>
internal static partial class DiscardedWal
{
    public static async Task<DiscardedTransactions> CountAsync(LocalServer oldPrimary, DbMember newPrimary,
        CancellationToken cancellationToken)
    {
        if (await SwitchPointAsync(newPrimary, cancellationToken) is not var (parent, switchLsn, historyFile))
        {
            return DiscardedTransactions.Unknown($"the timeline history of {newPrimary.Display} could not be read");
        }
        var dump = await CommandRunner.RunAsync(new CommandSpec($"pg_waldump of {oldPrimary.DataDirectory}",
            oldPrimary.Binaries.Tool("pg_waldump"),
            ["--path", Path.Combine(oldPrimary.DataDirectory, "pg_wal"), "--timeline", parent.ToString(), "--start", switchLsn,
                "--rmgr=Transaction"])
        {
            AsServerAccount = true,
            RequireSuccess = false,
            Timeout = TimeSpan.FromMinutes(2),
        }, cancellationToken);
        // pg_waldump reads until the WAL ends, then says where: that error is the end of the old primary's WAL.
        var end = EndOfWal().Match(dump.StandardError);
        var nothing = NoRecord().IsMatch(dump.StandardError);
        if (dump.ExitCode != 0 && !end.Success && !nothing)
        {
            return DiscardedTransactions.Unknown($"pg_waldump could not read the old primary's WAL from {switchLsn} on timeline {parent}: "
                + dump.StandardError.Trim());
        }
        var commits = Commit().Matches(dump.StandardOutput).Count;
        var reach = end.Success ? $"its WAL ends at {end.Groups[1].Value}" : "its WAL ends at the switch point";
        return new DiscardedTransactions(commits, $"commit records (pg_waldump --rmgr=Transaction) in the old primary's pg_wal on "
            + $"timeline {parent} from the switch point {switchLsn} of {newPrimary.Display}'s timeline (its {historyFile}) to the end "
            + $"of that WAL, read before pg_rewind discarded them; {reach}");
    }

    /// <summary>The parent timeline and the LSN where the new primary's current timeline left it, from its history file.</summary>
    private static async Task<(int Parent, string SwitchLsn, string File)?> SwitchPointAsync(DbMember newPrimary,
        CancellationToken cancellationToken)
    {
        try
        {
            var (file, text) = await newPrimary.QueryAsync(
                "select f, pg_read_file('pg_wal/' || f) "
                + "from (select substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) || '.history' f) h",
                r => (r.GetString(0), r.GetString(1)), cancellationToken);
            var last = text.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0 && !l.StartsWith('#'));
            var fields = last?.Split('\t');
            return fields is { Length: >= 2 } && int.TryParse(fields[0], out var parent) && Lsn.ParseOrNull(fields[1]) is not null
                ? (parent, fields[1], file)
                : null;
        }
        catch (DrToolsException)
        {
            return null; // not superuser, or no history file (the new primary never left timeline 1)
        }
    }

    [GeneratedRegex(@"desc: COMMIT(_PREPARED)?\b")]
    private static partial Regex Commit();

    [GeneratedRegex(@"error in WAL record at [0-9A-F]+/[0-9A-F]+: .* at ([0-9A-F]+/[0-9A-F]+)")]
    private static partial Regex EndOfWal();

    [GeneratedRegex(@"could not find a valid record after")]
    private static partial Regex NoRecord();
}
