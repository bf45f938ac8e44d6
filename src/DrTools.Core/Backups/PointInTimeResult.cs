namespace DrTools.Core.Backups;

public sealed record PointInTimeResult
{
    public required string BackupId { get; init; }
    public required string Target { get; init; }
    public required bool Passed { get; init; }
    public string Result => Passed ? "PASS" : "FAIL";
    public required string? Reason { get; init; }
    public required Measurement Duration { get; init; }
    /// <summary>pg_last_xact_replay_timestamp(): the commit time of the last transaction the restore replayed.</summary>
    public required DateTimeOffset? LastReplayedTransaction { get; init; }
    /// <summary>Whether the engine tells the last replayed commit's time (PostgreSQL does, a MariaDB replay does not).</summary>
    public bool ReadsCommitTime { get; init; } = true;
    /// <summary>For a time target: the target minus the last replayed commit, the committed work between them that the restore does not
    /// have.</summary>
    public required Measurement? DataLossBeforeTarget { get; init; }
    public required string ReplayedToLsn { get; init; }
    public required IReadOnlyList<MarkerCheck> Markers { get; init; }
    public required RecoverableWindow Window { get; init; }
    /// <summary>The restored instance, when kept: sandbox id, port and private socket directory.</summary>
    public string? Instance { get; init; }
    /// <summary>The sandbox id of the kept instance (Remove-DrSandbox removes it).</summary>
    public string? InstanceId { get; init; }
}
