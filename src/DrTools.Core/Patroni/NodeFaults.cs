using DrTools.Core.Failover;
using DrTools.Core.Postgres;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Patroni;

/// <summary>
/// A fault on one node of a Patroni cluster, and its undo: the user's fault command when given (on any cluster), else
/// one of DrTools' node faults (on a sandbox's node). A frozen node is always thawed (Dispose), whatever happens to the
/// drill: a node left stopped would outlive it.
/// </summary>
internal sealed class NodeFaultInjection(PatroniCluster cluster, string node, NodeFault fault, string? command) : IAsyncDisposable
{
    private IReadOnlyList<int> _frozen = [];
    private IReadOnlyList<(int Pid, long? Started)> _killed = [];
    private bool _injected;

    public string Description => command is not null ? $"the fault command '{command}' for {node}" : fault switch
    {
        NodeFault.KillPostgres => $"SIGKILL of {node}'s postmaster",
        NodeFault.KillNode => $"SIGKILL of Patroni and every PostgreSQL process of {node} (node loss)",
        NodeFault.FreezeNode => $"SIGSTOP of every process of {node}, SIGCONT later (a hung host)",
        _ => $"Patroni on {node} stopped cleanly (SIGTERM)",
    };

    public bool Frozen => _frozen.Count > 0;

    private Sandbox Sandbox => cluster.Sandbox
        ?? throw new DrToolsException($"{fault} on {node} of {cluster.Name}: DrTools reaches the processes of a Patroni sandbox's nodes "
        + $"only; give the fault as a command (-FaultCommand / --fault-command).", DrErrorKind.InvalidArgument);

    private string PatroniDirectory => Sandbox.PatroniNodes.Single(n => n.Name == node).ServiceDirectory;

    /// <summary>Refuses, before anything is changed, a node fault DrTools cannot inject on this cluster.</summary>
    public void DemandInjectable()
    {
        if (command is null) _ = Sandbox;
    }

    /// <summary>Injects the fault on <paramref name="leader"/>; returns what was done, for the timeline.</summary>
    public async Task<string> InjectAsync(DbMember leader, CancellationToken cancellationToken)
    {
        _injected = true;
        if (command is not null) return await new CommandControl(command, null).InjectFaultAsync(leader, cancellationToken);
        var sandbox = Sandbox;
        switch (fault)
        {
            case NodeFault.KillPostgres:
                var pid = await sandbox.Server(node).KillAsync()
                    ?? throw new DrToolsException($"{node}: its postmaster is not running; nothing to kill.", DrErrorKind.InvalidOperation);
                return $"SIGKILL of {node}'s postmaster PID {pid}";
            case NodeFault.KillNode:
                // Again until none is left: a backend the postmaster forked while the first list was read outlives it,
                // attached to the shared memory, and the node's next PostgreSQL refuses to start beside it.
                var killed = new List<(int Pid, long? Started)>();
                for (var round = 0; round < 5 && sandbox.NodeProcesses(node).Where(ProcessTable.IsAlive).ToList() is { Count: > 0 } alive;
                     round++)
                {
                    killed.AddRange(alive.Select(p => (p, ProcessTable.StartTicks(p))));
                    await ProcessTable.KillAsync(alive, TimeSpan.FromSeconds(10));
                }
                _killed = killed;
                return $"SIGKILL of {killed.Count} process(es) of {node}: Patroni and PostgreSQL";
            case NodeFault.FreezeNode:
                _frozen = sandbox.NodeProcesses(node);
                foreach (var process in _frozen) ProcessTable.Signal(process, ProcessTable.SigStop);
                return $"SIGSTOP of {_frozen.Count} process(es) of {node}";
            default:
                var patroni = ProcessTable.FindByWorkingDirectory(PatroniDirectory);
                foreach (var process in patroni) ProcessTable.Signal(process, ProcessTable.SigTerm);
                return $"SIGTERM to {node}'s Patroni (PID {string.Join(", ", patroni)})";
        }
    }

    /// <summary>Thaws a frozen node; returns what was done, or null when nothing was frozen.</summary>
    public string? Thaw()
    {
        if (_frozen.Count == 0) return null;
        foreach (var process in _frozen) ProcessTable.Signal(process, ProcessTable.SigCont);
        var thawed = _frozen.Count;
        _frozen = [];
        return $"SIGCONT of {thawed} process(es) of {node}";
    }

    /// <summary>
    /// Brings a sandbox node whose Patroni the fault stopped (a node fault or the user's command) back; Patroni then
    /// rejoins it, with pg_rewind when needed. Other clusters' nodes are their owners' to bring back.
    /// </summary>
    public async Task<string?> RestartNodeAsync()
    {
        if (!_injected || cluster.Sandbox is not { } sandbox) return null;
        if (command is null && fault == NodeFault.StopPatroni)
        {
            // A Patroni stopped cleanly may still be shutting its PostgreSQL down: a second one must not start beside it.
            var stopping = ProcessTable.FindByWorkingDirectory(PatroniDirectory);
            if (!await ProcessTable.WaitForExitAsync(stopping, TimeSpan.FromSeconds(60)))
            {
                throw new DrToolsException($"{node}: its Patroni (PID {string.Join(", ", stopping)}) had not exited 60 s after it was "
                    + $"stopped; it was not started again.", DrErrorKind.Timeout);
            }
        }
        if (ProcessTable.FindByWorkingDirectory(PatroniDirectory).Count > 0) return null;
        // A killed postmaster not reaped yet would make the PostgreSQL that Patroni starts refuse its lock file, and Patroni
        // wait out its start timeout before it tries again.
        var reaped = await ProcessTable.WaitUntilReapedAsync(_killed, TimeSpan.FromSeconds(30));
        sandbox.RestartPatroni(node);
        return $"Patroni started again on {node}"
            + (reaped ? "" : $" (of its {_killed.Count} killed processes some were not reaped within 30 s; PostgreSQL may wait for them)");
    }

    public ValueTask DisposeAsync()
    {
        Thaw();
        return ValueTask.CompletedTask;
    }
}
