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

    public Task ApplyAsync(FaultRecord record, CancellationToken cancellationToken)
    {
        foreach (var pid in RecordedProcesses.Read(record.State["processes"])) ProcessTable.Signal(pid, ProcessTable.SigStop);
        return Task.CompletedTask;
    }

    public Task<string> UndoAsync(FaultRecord record, CancellationToken cancellationToken)
    {
        var thawed = RecordedProcesses.Read(record.State["processes"]).Count(pid => ProcessTable.Signal(pid, ProcessTable.SigCont));
        return Task.FromResult($"SIGCONT of {thawed} process(es)");
    }
}
