namespace DrTools.Core.MariaDb;

/// <summary>Where a MariaDB point-in-time recovery stops: after a GTID (inclusive), or before a time (whole seconds, as binlog events are
/// stamped).</summary>
public sealed record MariaDbRecoveryTarget(string? Gtid, DateTimeOffset? Time)
{
    /// <summary>The refusal of a target GTID by a store whose positions are not GTIDs.</summary>
    public static DrToolsException GtidRefusal(string engine) => new($"a target GTID is for MariaDB backups; the repository's are "
        + $"{engine}'s.", DrErrorKind.InvalidArgument);

    public static MariaDbRecoveryTarget ToGtid(string gtid) => MariaDb.Gtid.IsValid(gtid)
        ? new(gtid.Trim(), null)
        : throw new DrToolsException($"target GTID '{gtid}' is not a MariaDB GTID (domain-server-sequence, e.g. 0-1-42).",
            DrErrorKind.InvalidArgument);

    public static MariaDbRecoveryTarget ToTime(DateTimeOffset time) => new(null, time);

    /// <summary>mariadb-binlog stops at the first event stamped at or after the target's second (its local time).</summary>
    internal IReadOnlyList<string> StopArguments => Gtid is { } gtid
        ? [$"--stop-position={gtid}"]
        : [$"--stop-datetime={Time!.Value.ToLocalTime():yyyy-MM-dd HH:mm:ss}"];

    public override string ToString() => Gtid is { } gtid ? $"GTID {gtid} (inclusive)"
        : $"{Time!.Value:yyyy-MM-dd HH:mm:ss}Z (transactions stamped in earlier seconds)";
}
