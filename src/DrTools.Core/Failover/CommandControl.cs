using DrTools.Core.Postgres;
using DrTools.Core.Processes;

namespace DrTools.Core.Failover;

/// <summary>
/// The user's own fault and stop commands (run with sh -c, the member in DRTOOLS_MEMBER_HOST / DRTOOLS_MEMBER_PORT).
/// A command given is the fault (or stop) on every kind of target, a sandbox too; what it does not cover goes to
/// <paramref name="direct"/>, the control of members DrTools reaches itself. Without one, re-pointing and rejoining
/// are left to the cluster's own tooling.
/// </summary>
public sealed class CommandControl(string? faultCommand, string? stopCommand, IMemberControl? direct = null) : IMemberControl
{
    public string FaultDescription(DbMember primary) =>
        faultCommand is not null ? $"the fault command '{faultCommand}' for {primary.Display}"
        : direct?.FaultDescription(primary) ?? "no fault command given";

    public async Task<string> InjectFaultAsync(DbMember primary, CancellationToken cancellationToken)
    {
        if (faultCommand is null && direct is not null) return await direct.InjectFaultAsync(primary, cancellationToken);
        await RunAsync("fault command", faultCommand
            ?? throw new DrToolsException($"{primary.Display} is not a member DrTools controls: give a fault command (-FaultCommand / "
            + $"--fault-command) to fail it.", DrErrorKind.InvalidArgument), primary, cancellationToken);
        return $"fault command '{faultCommand}' for {primary.Display}";
    }

    public async Task StopCleanlyAsync(DbMember primary, CancellationToken cancellationToken)
    {
        if (stopCommand is null && direct is not null)
        {
            await direct.StopCleanlyAsync(primary, cancellationToken);
            return;
        }
        await RunAsync("stop command", stopCommand
            ?? throw new DrToolsException($"{primary.Display} is not a member DrTools controls: give a stop command (-StopCommand / "
            + $"--stop-command) to stop it cleanly.", DrErrorKind.InvalidArgument), primary, cancellationToken);
    }

    public Task<Lsn?> FinalLsnAsync(DbMember stoppedPrimary, CancellationToken cancellationToken) =>
        direct?.FinalLsnAsync(stoppedPrimary, cancellationToken) ?? Task.FromResult<Lsn?>(null);

    public Task<bool> RepointStandbyAsync(DbMember standby, DbMember newPrimary, CancellationToken cancellationToken) =>
        direct?.RepointStandbyAsync(standby, newPrimary, cancellationToken) ?? Task.FromResult(false);

    public Task<bool> RejoinAsync(DbMember oldPrimary, DbMember newPrimary, string applicationName, CancellationToken cancellationToken) =>
        direct?.RejoinAsync(oldPrimary, newPrimary, applicationName, cancellationToken) ?? Task.FromResult(false);

    public Task<DiscardedTransactions> DiscardedAsync(DbMember oldPrimary, DbMember newPrimary, CancellationToken cancellationToken) =>
        direct?.DiscardedAsync(oldPrimary, newPrimary, cancellationToken)
        ?? Task.FromResult(DiscardedTransactions.NotControlled(oldPrimary.Display));

    public Task<bool> RestartAsync(DbMember member, CancellationToken cancellationToken) =>
        direct?.RestartAsync(member, cancellationToken) ?? Task.FromResult(false);

    private static Task RunAsync(string what, string command, DbMember member, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(new CommandSpec($"{what} for {member.Display}", "/bin/sh", ["-c", command])
        {
            // The drill bounds it by its phase timeout (PhaseLimit): a cloud API call may rightly take minutes.
            Timeout = Timeout.InfiniteTimeSpan,
            Environment = new Dictionary<string, string> { ["DRTOOLS_MEMBER_HOST"] = member.Host,
                ["DRTOOLS_MEMBER_PORT"] = member.Port.ToString() },
        }, cancellationToken);
}
