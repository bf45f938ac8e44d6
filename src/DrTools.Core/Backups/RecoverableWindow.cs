namespace DrTools.Core.Backups;

/// <summary>What can be recovered from a repository: from the end of its earliest backup to the end of its last archived WAL
/// segment.</summary>
public sealed record RecoverableWindow(DateTimeOffset EarliestTime, string EarliestLsn, DateTimeOffset LatestTime, string LatestLsn)
{
    /// <summary>The first WAL segment missing from the archive, which ends the window early.</summary>
    public string? Gap { get; init; }

    /// <summary>Why the WAL stops replaying at the window's end although more is archived (bad segment, lost history).</summary>
    public string? Break { get; init; }

    /// <summary>Where reading the archive along the timeline chain stopped: LSN, segment, timeline.</summary>
    public WalReplayCheck? Replay { get; init; }

    /// <summary>The backup a restore to the window's earliest point starts from.</summary>
    public string? BackupId { get; init; }

    /// <summary>Why earlier backups start no window reaching this one: where replay from them stops.</summary>
    public string? CutOff { get; init; }

    // To the microsecond, as PostgreSQL keeps them: a target refused for being a moment before the start must not read as
    // inside a window printed to the second.
    public override string ToString() => $"{Exact(EarliestTime)} ({EarliestLsn}) to {Exact(LatestTime)} ({LatestLsn})"
        + (Gap is null ? "" : $", where WAL segment {Gap} is missing from the archive")
        + (Break is null ? "" : $", where the WAL stops replaying: {Break}")
        + (CutOff is null ? "" : $"; {CutOff}");

    private static string Exact(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
