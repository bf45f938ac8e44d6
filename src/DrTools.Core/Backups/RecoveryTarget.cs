using DrTools.Core.Postgres;

namespace DrTools.Core.Backups;

/// <summary>Where a restore stops: as soon as consistent, or at an LSN, time, transaction or named restore point.</summary>
public sealed record RecoveryTarget(string Kind, string? Value, bool Inclusive = true)
{
    /// <summary>Transaction ids below 3 are reserved by PostgreSQL; no user transaction has one.</summary>
    public const long FirstNormalXid = 3;

    public static RecoveryTarget Immediate { get; } = new("immediate", null);
    /// <summary>Everything archived: no target (and any target set before cleared).</summary>
    public static RecoveryTarget EndOfArchive { get; } = new("end", null);
    public static RecoveryTarget BeforeLsn(Lsn lsn) => new("lsn", lsn.ToString(), Inclusive: false);
    public static RecoveryTarget Lsn(Lsn lsn) => new("lsn", lsn.ToString());
    public static RecoveryTarget Time(DateTimeOffset time) => new("time",
        time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss.ffffff'+00:00'", System.Globalization.CultureInfo.InvariantCulture));
    public static RecoveryTarget Xid(long xid) => xid is >= FirstNormalXid and <= uint.MaxValue
        ? new("xid", xid.ToString(System.Globalization.CultureInfo.InvariantCulture))
        : throw new DrToolsException($"transaction id {xid} is out of range: a transaction id is {FirstNormalXid} to {uint.MaxValue}.",
            DrErrorKind.InvalidArgument);
    public static RecoveryTarget Name(string name) => new("name", name);

    internal string Settings => Kind switch
    {
        "immediate" => "recovery_target = 'immediate'\n",
        "end"
            => "recovery_target = ''\nrecovery_target_time = ''\nrecovery_target_lsn = ''\nrecovery_target_xid = ''\nrecovery_target_name "
            + "= ''\n",
        _ => $"recovery_target_{Kind} = '{Value!.Replace("'", "''")}'\nrecovery_target_inclusive = {(Inclusive ? "on" : "off")}\n",
    };

    public override string ToString() => Kind switch
    {
        "immediate" => "consistency",
        "end" => "the end of the archived WAL",
        _ => $"{Kind} {Value}{(Inclusive ? "" : " (exclusive)")}",
    };
}
