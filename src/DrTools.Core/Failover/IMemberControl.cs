using DrTools.Core.Postgres;

namespace DrTools.Core.Failover;

/// <summary>
/// How a drill acts on members beyond SQL: stopping, killing, re-pointing and rejoining. Promotion is always SQL
/// (pg_promote) and is not here. Sandboxes are controlled directly; other clusters through user-supplied commands;
/// other providers (Patroni, cloud services) plug in here.
/// </summary>
public interface IMemberControl
{
    /// <summary>What the unplanned fault is, for plans and reports.</summary>
    string FaultDescription(DbMember primary);

    /// <summary>Injects the unplanned failure of the primary; returns a detail for the timeline (e.g. the PID killed).</summary>
    Task<string> InjectFaultAsync(DbMember primary, CancellationToken cancellationToken);

    /// <summary>Stops the primary cleanly (fast shutdown: clients disconnected, WAL sent to standbys) and returns once it is
    /// down.</summary>
    Task StopCleanlyAsync(DbMember primary, CancellationToken cancellationToken);

    /// <summary>The end of a cleanly stopped primary's WAL (its shutdown checkpoint), if this control can read it.</summary>
    Task<Lsn?> FinalLsnAsync(DbMember stoppedPrimary, CancellationToken cancellationToken);

    /// <summary>Points a standby at the new primary. False when this control cannot (the report then says so).</summary>
    Task<bool> RepointStandbyAsync(DbMember standby, DbMember newPrimary, CancellationToken cancellationToken);

    /// <summary>
    /// Makes the old primary a streaming standby of the new one (pg_rewind when needed), connecting as
    /// <paramref name="applicationName"/> (the name synchronous_standby_names knows it by). False when this control cannot.
    /// </summary>
    Task<bool> RejoinAsync(DbMember oldPrimary, DbMember newPrimary, string applicationName, CancellationToken cancellationToken);

    /// <summary>
    /// Just before <see cref="RejoinAsync"/>: stops the old primary and counts the transactions it committed beyond the
    /// new primary's start, which the rejoin discards. Unknown where this control cannot read its WAL.
    /// </summary>
    Task<DiscardedTransactions> DiscardedAsync(DbMember oldPrimary, DbMember newPrimary, CancellationToken cancellationToken) =>
        Task.FromResult(DiscardedTransactions.NotControlled(oldPrimary.Display));

    /// <summary>
    /// Fences a primary a fault cut off or froze before the fault is undone, so that nothing of it runs on; by default
    /// the unplanned fault.
    /// </summary>
    Task FenceAsync(DbMember primary, CancellationToken cancellationToken) => InjectFaultAsync(primary, cancellationToken);

    /// <summary>Restarts a primary the drill stopped or killed, when the drill fails before any promotion. False when this control
    /// cannot.</summary>
    Task<bool> RestartAsync(DbMember member, CancellationToken cancellationToken);

}
