namespace DrTools.Core.Runbooks;

/// <summary>One drill (a runbook against a kind of target) over all its recorded runs.</summary>
public sealed record DrillHistoryEntry
{
    public required string Drill { get; init; }
    public required string Target { get; init; }
    public required int Runs { get; init; }
    public required int Passed { get; init; }
    /// <summary>Mean run duration, seconds.</summary>
    public required double AverageDurationSeconds { get; init; }
    public required RunStatus LastResult { get; init; }
    public required DateTimeOffset LastRunAt { get; init; }
    /// <summary>Mean of the measured RTO figures of the runs that measured one (seconds); null when none did.</summary>
    public required double? MeanTimeToRecoverSeconds { get; init; }
    /// <summary>How many runs the mean time to recover is taken over.</summary>
    public required int RecoveriesMeasured { get; init; }
    public required string LastJournal { get; init; }
}
