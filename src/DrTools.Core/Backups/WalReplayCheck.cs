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
    /// <summary>The segments read from the backup's own WAL, not the archive (missing there, or short).</summary>
    public IReadOnlyList<string> FromBackup { get; init; } = [];

    /// <summary>With a <see cref="Break"/>: the time of the last commit replay gets to before it (null: none, or not read).</summary>
    public DateTimeOffset? LastCommit { get; init; }

    /// <summary>Why reading stops before the end of the archive: the break, or the missing segment; null when it does not.</summary>
    public string? StopReason => Break ?? (Missing is { } missing ? $"WAL segment {missing} is missing from the archive" : null);

    public override string ToString() => $"{End} in segment {Segment} on timeline {Timeline}";
}
