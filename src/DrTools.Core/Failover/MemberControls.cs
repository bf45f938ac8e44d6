using DrTools.Core.Postgres;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Failover;

public static class MemberControls
{
    /// <summary>
    /// How a drill acts on a target: a sandbox directly; members whose data directories are given (MEMBER=DIRECTORY)
    /// directly too; any other member through the user's fault and stop commands, which, when given, are the fault
    /// and the stop on every kind of target.
    /// </summary>
    public static IMemberControl For(Sandbox? sandbox, IReadOnlyList<string>? dataDirectories, string? faultCommand, string? stopCommand)
    {
        if (sandbox?.Topology == SandboxTopology.Patroni)
        {
            // Promoting or rewinding behind Patroni's back would fight the HA manager the drill is meant to test.
            throw new DrToolsException($"sandbox {sandbox.Id} is managed by Patroni: DrTools does not promote or rewind its members "
                + $"itself, and a failover drill in which Patroni recovers is not available yet.", DrErrorKind.InvalidOperation);
        }
        IMemberControl? direct = sandbox is not null ? new SandboxControl(sandbox)
            : dataDirectories is { Count: > 0 } ? new LocalControl(PgBinaries.Locate(), LocalControl.ParseDataDirectories(dataDirectories),
                new CommandControl(null, null))
            : null;
        return faultCommand is null && stopCommand is null && direct is not null ? direct : new CommandControl(faultCommand, stopCommand,
            direct);
    }
}
