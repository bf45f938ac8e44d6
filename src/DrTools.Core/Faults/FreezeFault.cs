using DrTools.Core.Faults.Leftovers;
using DrTools.Core.Processes;

namespace DrTools.Core.Faults;

/// <summary>SIGSTOP of every process of the member; SIGCONT on undo.</summary>
internal sealed class FreezeFault : IFaultKind
{
    public FaultKind Kind => FaultKind.Freeze;

    public IReadOnlyList<FaultLeftover> Leftovers { get; } = [FrozenProcesses.Instance];

    public IReadOnlyDictionary<string, string> Parameters { get; } = new Dictionary<string, string>();

    public void Check(FaultRequest request) => RecordedProcesses.Of(Kind, request.Member);

    public string Describe(FaultRequest request) => $"Freeze of {request.Member.Display}: SIGSTOP of every process, SIGCONT on undo";

    public Task<IReadOnlyDictionary<string, string>> PrepareAsync(string id, FaultRequest request, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string,
            string> { ["processes"] = RecordedProcesses.Write(RecordedProcesses.Of(Kind, request.Member)) });

    private static readonly TimeSpan StoppedWithin = TimeSpan.FromSeconds(5);

    /// <summary>
    /// In effect when it returns: a process stops only once it is scheduled to take the signal, which a loaded machine
    /// delays, and a check (or a drill's "fault completed") made at once could find it still running.
    /// </summary>
    public async Task ApplyAsync(FaultRecord record, CancellationToken cancellationToken)
    {
        var signalled = RecordedProcesses.Read(record.State["processes"]).Where(pid => ProcessTable.Signal(pid, ProcessTable.SigStop))
            .ToList();
        await Polling.RequireAsync(() => Task.FromResult(signalled.All(pid => ProcessTable.IsStopped(pid) || !ProcessTable.IsAlive(pid))),
            StoppedWithin, TimeSpan.FromMilliseconds(2),
            () => $"{record.Member}: processes {string.Join(", ", signalled.Where(pid => !ProcessTable.IsStopped(pid)))} did not stop "
                + $"within {DurationText.Format(StoppedWithin)} of SIGSTOP",
            cancellationToken);
    }

    public Task<string> UndoAsync(FaultRecord record, CancellationToken cancellationToken)
    {
        var thawed = RecordedProcesses.Read(record.State["processes"]).Count(pid => ProcessTable.Signal(pid, ProcessTable.SigCont));
        return Task.FromResult($"SIGCONT of {thawed} process(es)");
    }
}
