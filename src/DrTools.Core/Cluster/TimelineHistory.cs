using Npgsql;

namespace DrTools.Core.Cluster;

/// <summary>
/// Where a server's timeline branched off the ones before it (its pg_wal/N.history): two servers on the same timeline
/// number whose histories differ were each promoted on their own, and forked apart.
/// </summary>
internal static class TimelineHistory
{
    /// <returns>
    /// "timeline 1 until 0/3000000": each earlier timeline and the LSN where the next began; null for timeline 1 (no
    /// history), or when the file is missing or cannot be read.
    /// </returns>
    public static async Task<string?> ReadAsync(NpgsqlConnection connection, int? timeline, CancellationToken cancellationToken)
    {
        if (timeline is not > 1) return null;
        // Offset and length given: PostgreSQL 15 has no (file, missing_ok) form. A history file is a few lines.
        await using var command = new NpgsqlCommand("select pg_read_file(@file, 0, 1048576, true)", connection);
        command.Parameters.AddWithValue("file", $"pg_wal/{timeline:X8}.history");
        try
        {
            return await command.ExecuteScalarAsync(cancellationToken) is string text ? SwitchPoints(text) : null;
        }
        catch (PostgresException)
        {
            // Not readable here (a user without pg_read_server_files): the timeline numbers alone are judged.
            return null;
        }
    }

    /// <summary>The switch points of a history file's text: its reasons (free text) left out.</summary>
    internal static string SwitchPoints(string history) => string.Join(", ", history.Split('\n')
        .Select(line => line.Trim())
        .Where(line => line.Length > 0 && !line.StartsWith('#'))
        .Select(line => line.Split('\t', ' ') is [var from, var lsn, ..] ? $"timeline {from} until {lsn}" : line));
}
