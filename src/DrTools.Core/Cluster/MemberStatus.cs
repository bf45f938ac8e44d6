namespace DrTools.Core.Cluster;

/// <summary>One member as it answered (or did not): role, timeline and WAL positions, and for a standby how the primary sees it.</summary>
public sealed record MemberStatus(string Name, string Endpoint, MemberRole Role)
{
    public string? Error { get; init; }
    public string? ServerVersion { get; init; }
    public int? Timeline { get; init; }
    /// <summary>The primary's write position: pg_current_wal_lsn(), MariaDB's @@gtid_binlog_pos, Redis' master_repl_offset.</summary>
    public string? CurrentLsn { get; init; }
    /// <summary>What a standby received: pg_last_wal_receive_lsn(), MariaDB's Gtid_IO_Pos.</summary>
    public string? ReceivedLsn { get; init; }
    /// <summary>What a standby applied: pg_last_wal_replay_lsn(), MariaDB's @@gtid_current_pos, Redis' slave_repl_offset.</summary>
    public string? ReplayedLsn { get; init; }
    /// <summary>The lag in seconds the engine itself reports (MariaDB's Seconds_Behind_Master); null where it reports none.</summary>
    public double? LagSeconds { get; init; }
    /// <summary>The standby's WAL receiver status (streaming, stopping …); null when none runs.</summary>
    public string? WalReceiverStatus { get; init; }
    /// <summary>host:port the standby receives WAL from.</summary>
    public string? Upstream { get; init; }
    /// <summary>The name the standby's WAL sender has on the primary (application_name).</summary>
    public string? ApplicationName { get; init; }
    /// <summary>pg_stat_replication.state on the primary for this standby (streaming, catchup …).</summary>
    public string? ReplicationState { get; init; }
    /// <summary>pg_stat_replication.sync_state on the primary for this standby (async, sync, quorum, potential).</summary>
    public string? SyncState { get; init; }
    /// <summary>Why a standby does not replicate, in the server's own words, where the engine says more than the fields above.</summary>
    public string? ReplicationError { get; init; }
    /// <summary>
    /// Its replication stopped and the server will not restart it by itself (a MariaDB IO or SQL thread that ended): no
    /// wait makes it follow. A link still retrying is not halted.
    /// </summary>
    public bool ReplicationHalted { get; init; }
    /// <summary>Why the standby holds what the primary lacks (MariaDB: a GTID beyond the primary's binlog); null when not.</summary>
    public string? Divergence { get; init; }

    public string Display => Name == Endpoint ? Name : $"{Name} ({Endpoint})";
}
