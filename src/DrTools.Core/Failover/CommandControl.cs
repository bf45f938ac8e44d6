using DrTools.Core.Postgres;
using DrTools.Core.Processes;

namespace DrTools.Core.Failover;

/// <summary>
/// Controls members DrTools cannot reach directly, through the user's own commands (run with sh -c, the member in
/// DRTOOLS_MEMBER_HOST / DRTOOLS_MEMBER_PORT). Re-pointing and rejoining are left to the cluster's own tooling.
/// </summary>
public sealed class CommandControl(string? faultCommand, string? stopCommand) : IMemberControl
{
    public string FaultDescription(DbMember primary) => faultCommand is null ? "no fault command given" : $"the fault command '{faultCommand}' for {primary.Display}";

    public async Task<string> InjectFaultAsync(DbMember primary, CancellationToken cancellationToken)
    {
        await RunAsync("fault command", faultCommand ?? throw new DrToolsException($"{primary.Display} is not a member DrTools controls: give a fault command (-FaultCommand / --fault-command) to fail it.", DrErrorKind.InvalidArgument), primary, cancellationToken);
        return $"fault command for {primary.Display}";
    }

    public async Task StopCleanlyAsync(DbMember primary, CancellationToken cancellationToken) =>
        await RunAsync("stop command", stopCommand ?? throw new DrToolsException($"{primary.Display} is not a member DrTools controls: give a stop command (-StopCommand / --stop-command) to stop it cleanly.", DrErrorKind.InvalidArgument), primary, cancellationToken);

    public Task<Lsn?> FinalLsnAsync(DbMember stoppedPrimary, CancellationToken cancellationToken) => Task.FromResult<Lsn?>(null);
    public Task<bool> RepointStandbyAsync(DbMember standby, DbMember newPrimary, CancellationToken cancellationToken) => Task.FromResult(false);
    public Task<bool> RejoinAsync(DbMember oldPrimary, DbMember newPrimary, string applicationName, CancellationToken cancellationToken) => Task.FromResult(false);
    public Task<bool> RestartAsync(DbMember member, CancellationToken cancellationToken) => Task.FromResult(false);

    private static Task RunAsync(string what, string command, DbMember member, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(new CommandSpec($"{what} for {member.Display}", "/bin/sh", ["-c", command])
        {
            Environment = new Dictionary<string, string> { ["DRTOOLS_MEMBER_HOST"] = member.Host, ["DRTOOLS_MEMBER_PORT"] = member.Port.ToString() },
        }, cancellationToken);
}
