using DrTools.Core.Failover;
using DrTools.Core.Postgres;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

/// <summary>
/// The sandbox's own control of its members with what a test changes overridden (a fault of its own, a supervisor that
/// restarts the old primary). What it does not forward (the discarded transactions, fencing) is the interface's default.
/// </summary>
public abstract class ChangedSandboxControl(Sandbox sandbox) : IMemberControl
{
    protected SandboxControl Inner { get; } = new(sandbox);

    protected Sandbox Sandbox { get; } = sandbox;

    public string FaultDescription(DbMember primary) => Inner.FaultDescription(primary);

    public virtual Task<string> InjectFaultAsync(DbMember primary, CancellationToken cancellationToken) =>
        Inner.InjectFaultAsync(primary, cancellationToken);

    public Task StopCleanlyAsync(DbMember primary, CancellationToken cancellationToken) =>
        Inner.StopCleanlyAsync(primary, cancellationToken);

    public Task<Lsn?> FinalLsnAsync(DbMember stoppedPrimary, CancellationToken cancellationToken) =>
        Inner.FinalLsnAsync(stoppedPrimary, cancellationToken);

    public virtual Task<bool> RepointStandbyAsync(DbMember standby, DbMember newPrimary, CancellationToken cancellationToken) =>
        Inner.RepointStandbyAsync(standby, newPrimary, cancellationToken);

    public Task<bool> RejoinAsync(DbMember oldPrimary, DbMember newPrimary, string applicationName,
        CancellationToken cancellationToken) => Inner.RejoinAsync(oldPrimary, newPrimary, applicationName, cancellationToken);

    public Task<bool> RestartAsync(DbMember member, CancellationToken cancellationToken) => Inner.RestartAsync(member, cancellationToken);
}
