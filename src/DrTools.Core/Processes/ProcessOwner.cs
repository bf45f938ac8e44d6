namespace DrTools.Core.Processes;

/// <summary>
/// The process that owns something DrTools made (a sandbox, a run), by PID and start time: the kernel reuses PIDs,
/// and a PID now held by an unrelated process must not keep a killed run's leftovers alive forever.
/// </summary>
public sealed record ProcessOwner(int Pid, long? StartTicks)
{
    public static ProcessOwner Current { get; } = new(Environment.ProcessId, ProcessTable.StartTicks(Environment.ProcessId));

    public bool IsAlive => ProcessTable.IsAlive(Pid) && (StartTicks is null || ProcessTable.StartTicks(Pid) == StartTicks);
}
