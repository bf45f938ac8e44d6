using DrTools.Core.Postgres;
using Npgsql;

namespace DrTools.Core.Cluster;

/// <summary>
/// Where a server's timeline branched off the ones before it (its pg_wal/N.history): each earlier timeline and the LSN at
/// which the next one began. Two servers whose histories name another switch point for the same timeline were each
/// promoted on their own, and forked apart.
/// </summary>
internal sealed record TimelineHistory(IReadOnlyList<(int Timeline, Lsn Until)> SwitchPoints)
{
    private static readonly TimelineHistory First = new([]);

    /// <summary>Where the history left <paramref name="timeline"/>; null when it never was on it, or is on it still.</summary>
    public Lsn? Until(int timeline) => SwitchPoints.Where(p => p.Timeline == timeline).Select(p => (Lsn?)p.Until).FirstOrDefault();

    public override string ToString() => SwitchPoints.Count == 0 ? "timeline 1 from the start"
        : string.Join(", ", SwitchPoints.Select(p => $"timeline {p.Timeline} until {p.Until}"));

    /// <returns>The history of <paramref name="timeline"/>; null when its file is missing or cannot be read here.</returns>
    public static async Task<TimelineHistory?> ReadAsync(NpgsqlConnection connection, int? timeline, CancellationToken cancellationToken)
    {
        if (timeline is not { } current) return null;
        if (current <= 1) return First;
        // Offset and length given: PostgreSQL 15 has no (file, missing_ok) form. A history file is a few lines.
        await using var command = new NpgsqlCommand("select pg_read_file(@file, 0, 1048576, true)", connection);
        command.Parameters.AddWithValue("file", $"pg_wal/{current:X8}.history");
        try
        {
            return await command.ExecuteScalarAsync(cancellationToken) is string text ? Parse(text) : null;
        }
        catch (PostgresException)
        {
            // Not readable here (a user without pg_read_server_files): the timeline numbers alone are judged.
            return null;
        }
    }

    /// <summary>A history file's switch points; its reasons (free text) and comments left out.</summary>
    internal static TimelineHistory? Parse(string history)
    {
        var points = new List<(int, Lsn)>();
        foreach (var line in history.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            if (line.Split('\t', ' ') is not [var from, var until, ..] || !int.TryParse(from, out var timeline)) return null;
            points.Add((timeline, Lsn.Parse(until)));
        }
        return new TimelineHistory(points);
    }
}
