namespace DrTools.Core.Replication;

public sealed record ReplicationLagOptions
{
    /// <summary>The largest byte threshold accepted (1 PiB): larger is a typo, not a limit.</summary>
    public const long MaxLagBytesLimit = 1L << 50;

    public long? MaxLagBytes { get; init; }
    /// <summary>The largest transaction threshold accepted (10^12): larger is a typo, not a limit.</summary>
    public const long MaxLagTransactionsLimit = 1_000_000_000_000;

    /// <summary>MariaDB: the most GTID transactions a replica may be behind.</summary>
    public long? MaxLagTransactions { get; init; }
    /// <summary>Held against the heartbeat lag when measured, otherwise against PostgreSQL's replay lag.</summary>
    public TimeSpan? MaxLag { get; init; }
    /// <summary>Write a heartbeat row on the primary and time its arrival on each standby (writes to the primary).</summary>
    public bool Heartbeat { get; init; }
    /// <summary>Sample over this window instead of once.</summary>
    public TimeSpan? Duration { get; init; }
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Refuses a sampling window no store can measure: no interval, or a duration shorter than one.</summary>
    internal void CheckWindow()
    {
        if (Interval <= TimeSpan.Zero) throw new DrToolsException("interval must be more than 0.", DrErrorKind.InvalidArgument);
        if (Duration is { } d && d < Interval)
        {
            throw new DrToolsException($"duration {DurationText.Format(d)} is shorter than the interval {DurationText.Format(Interval)}.",
                DrErrorKind.InvalidArgument);
        }
    }
    /// <summary>Told after each sample how much of the window has passed.</summary>
    public IProgress<OperationProgress>? Progress { get; init; }
    /// <summary>How long a heartbeat may take to appear on a standby before it counts as this long and not met.</summary>
    public TimeSpan HeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a heartbeat is waited for: the time bound when it is shorter (past it the bound is not met, however long
    /// the rest would take), else <see cref="HeartbeatTimeout"/>. One not seen by then is "more than" that.
    /// </summary>
    public TimeSpan HeartbeatWait => MaxLag is { } bound && bound < HeartbeatTimeout ? bound : HeartbeatTimeout;
}
