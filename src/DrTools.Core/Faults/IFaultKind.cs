using DrTools.Core.Faults.Leftovers;

namespace DrTools.Core.Faults;

/// <summary>One kind of fault: how it is checked, described, applied and undone.</summary>
internal interface IFaultKind
{
    FaultKind Kind { get; }

    /// <summary>The parameters it takes, with what each means; any other is refused.</summary>
    IReadOnlyDictionary<string, string> Parameters { get; }

    /// <summary>Whether it acts on a Kubernetes cluster (a node, a workload) rather than on a database member.</summary>
    bool OnKubernetes => false;

    /// <summary>What it can leave on the machine besides its record, for `fault check` to find and stop --all to sweep.</summary>
    IReadOnlyList<FaultLeftover> Leftovers => [];

    /// <summary>Refuses, before anything changes, a request this kind cannot carry out (parameters, peers, host).</summary>
    void Check(FaultRequest request);

    string Describe(FaultRequest request);

    /// <summary>What the undo will need, found before anything changes (it is recorded first).</summary>
    Task<IReadOnlyDictionary<string, string>> PrepareAsync(string id, FaultRequest request, CancellationToken cancellationToken);

    Task ApplyAsync(FaultRecord record, CancellationToken cancellationToken);

    /// <summary>Undoes the fault from its record alone (possibly in another process); safe to run twice. Returns what it did.</summary>
    Task<string> UndoAsync(FaultRecord record, CancellationToken cancellationToken);
}
