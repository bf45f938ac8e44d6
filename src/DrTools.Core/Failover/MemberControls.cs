using DrTools.Core.Postgres;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Failover;

public static class MemberControls
{
    /// <summary>
    /// How a drill acts on a target: a sandbox directly; members whose data directories are given (MEMBER=DIRECTORY)
    /// directly too; any other member through the user's fault and stop commands.
    /// </summary>
    public static IMemberControl For(Sandbox? sandbox, IReadOnlyList<string>? dataDirectories, string? faultCommand, string? stopCommand)
    {
        if (sandbox is not null) return new SandboxControl(sandbox);
        var commands = new CommandControl(faultCommand, stopCommand);
        return dataDirectories is { Count: > 0 }
            ? new LocalControl(PgBinaries.Locate(), LocalControl.ParseDataDirectories(dataDirectories), commands)
            : commands;
    }
}
