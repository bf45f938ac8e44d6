using DrTools.Core.Failover;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Patroni;

/// <summary>
/// A fault on one node of a Patroni sandbox, and its undo. A frozen node is always thawed (Dispose), whatever happens
/// to the drill: a node left stopped would outlive it.
/// </summary>
internal sealed class NodeFaultInjection(Sandbox sandbox, string node, NodeFault fault) : IAsyncDisposable
{
    private const int SigTerm = 15, SigStop = 19, SigCont = 18;
    private IReadOnlyList<int> _frozen = [];
    private bool _injected;

    public NodeFault Fault => fault;

    public string Description => fault switch
    {
        NodeFault.KillPostgres => $"SIGKILL of {node}'s postmaster",
        NodeFault.KillNode => $"SIGKILL of Patroni and every PostgreSQL process of {node} (node loss)",
        NodeFault.FreezeNode => $"SIGSTOP of every process of {node}, SIGCONT later (a hung host)",
        _ => $"Patroni on {node} stopped cleanly (SIGTERM)",
    };

    /// <summary>Whether the node's Patroni no longer runs after the injected fault, so DrTools must start it again for the node to come back.</summary>
    public bool StopsPatroni => _injected && fault is NodeFault.KillNode or NodeFault.StopPatroni;

    public bool Frozen => _frozen.Count > 0;

    /// <summary>Injects the fault; returns what was done, for the timeline.</summary>
    public async Task<string> InjectAsync()
    {
        _injected = true;
        switch (fault)
        {
            case NodeFault.KillPostgres:
                var pid = await sandbox.Server(node).KillAsync() ?? throw new DrToolsException($"{node}: its postmaster is not running; nothing to kill.", DrErrorKind.InvalidOperation);
                return $"SIGKILL of {node}'s postmaster PID {pid}";
            case NodeFault.KillNode:
                var processes = sandbox.NodeProcesses(node);
                await ProcessTable.KillAsync(processes, TimeSpan.FromSeconds(10));
                return $"SIGKILL of {processes.Count} process(es) of {node}: Patroni and PostgreSQL";
            case NodeFault.FreezeNode:
                _frozen = sandbox.NodeProcesses(node);
                foreach (var process in _frozen) ProcessTable.Signal(process, SigStop);
                return $"SIGSTOP of {_frozen.Count} process(es) of {node}";
            default:
                var patroni = ProcessTable.FindByWorkingDirectory(sandbox.PatroniNodes.Single(n => n.Name == node).ServiceDirectory);
                foreach (var process in patroni) ProcessTable.Signal(process, SigTerm);
                return $"SIGTERM to {node}'s Patroni (PID {string.Join(", ", patroni)})";
        }
    }

    /// <summary>Thaws a frozen node; returns what was done, or null when nothing was frozen.</summary>
    public string? Thaw()
    {
        if (_frozen.Count == 0) return null;
        foreach (var process in _frozen) ProcessTable.Signal(process, SigCont);
        var thawed = _frozen.Count;
        _frozen = [];
        return $"SIGCONT of {thawed} process(es) of {node}";
    }

    /// <summary>Brings a node whose Patroni the fault stopped back (Patroni then rejoins it, with pg_rewind when needed).</summary>
    public async Task<string?> RestartNodeAsync()
    {
        if (!StopsPatroni) return null;
        // A Patroni stopped cleanly may still be shutting its PostgreSQL down: a second one must not start beside it.
        var stopping = ProcessTable.FindByWorkingDirectory(sandbox.PatroniNodes.Single(n => n.Name == node).ServiceDirectory);
        if (!await ProcessTable.WaitForExitAsync(stopping, TimeSpan.FromSeconds(60)))
        {
            throw new DrToolsException($"{node}: its Patroni (PID {string.Join(", ", stopping)}) had not exited 60 s after it was stopped; it was not started again.", DrErrorKind.Timeout);
        }
        sandbox.RestartPatroni(node);
        return $"Patroni started again on {node}";
    }

    public ValueTask DisposeAsync()
    {
        Thaw();
        return ValueTask.CompletedTask;
    }
}
