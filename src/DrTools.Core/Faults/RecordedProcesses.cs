using System.Globalization;
using DrTools.Core.Processes;

namespace DrTools.Core.Faults;

/// <summary>The processes a fault signals, each with its start time, so an undo never signals a PID the system reused.</summary>
internal static class RecordedProcesses
{
    public static string Write(IEnumerable<int> pids) =>
        string.Join(",", pids.Select(pid => (pid,
            ticks: ProcessTable.StartTicks(pid))).Where(p => p.ticks is not null).Select(p => $"{p.pid}:{p.ticks}"));

    /// <summary>The recorded processes that still are the same processes.</summary>
    public static IReadOnlyList<int> Read(string recorded) =>
        recorded.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split(':'))
            .Select(p => (Pid: int.Parse(p[0], CultureInfo.InvariantCulture), Ticks: long.Parse(p[1], CultureInfo.InvariantCulture)))
            .Where(p => ProcessTable.StartTicks(p.Pid) == p.Ticks).Select(p => p.Pid).ToList();

    public static IReadOnlyList<int> Of(FaultKind kind, FaultMember member)
    {
        var data = member.DataDirectory
            ?? throw new DrToolsException($"{kind} of {member.Display}: DrTools must know its processes: a sandbox member, or its data "
            + $"directory.", DrErrorKind.InvalidArgument);
        var processes = ProcessTable.FindByWorkingDirectory(data);
        return processes.Count > 0 ? processes
            : throw DrToolsException.RefusedAfter($"{kind} of {member.Display}: no process runs in {data}",
            DrErrorKind.InvalidOperation);
    }
}
