using DrTools.Core.Processes;

namespace DrTools.Core.Faults.Leftovers;

/// <summary>A member's processes left stopped by a freeze (SIGSTOP), found by their working directory.</summary>
internal sealed class FrozenProcesses : FaultLeftover
{
    public static FrozenProcesses Instance { get; } = new();

    public override string Name => "frozen process";

    public override Task<IReadOnlyList<string>> FindAsync(IReadOnlyList<FaultMember> members, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>(members.Where(m => m.DataDirectory is not null)
            .SelectMany(m => ProcessTable.FindByWorkingDirectory(m.DataDirectory!).Where(ProcessTable.IsStopped)
                .Select(pid => $"{m.Name} PID {pid}"))
            .ToList());
}
