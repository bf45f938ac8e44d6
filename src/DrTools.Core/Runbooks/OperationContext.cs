using DrTools.Core.Postgres;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Runbooks;

/// <summary>What a step sees of the run: its targets, its clock, its objectives and where restored instances go.</summary>
public sealed class OperationContext
{
    private readonly Dictionary<string, ResolvedTarget> _targets;
    private readonly Action<Sandbox> _ownSandbox;
    private readonly Action<string> _createdSandbox;
    private readonly Action<string> _removedSandbox;

    internal OperationContext(Dictionary<string, ResolvedTarget> targets, MonotonicClock clock, IReadOnlyList<RunbookObjective> objectives,
        string? sandboxRoot,
        Action<Sandbox> ownSandbox, Action<string> createdSandbox, Action<string> removedSandbox, Faults.HeldFaults faults)
    {
        Faults = faults;
        SandboxRoot = sandboxRoot;
        _targets = targets;
        Clock = clock;
        Objectives = objectives;
        _ownSandbox = ownSandbox;
        _createdSandbox = createdSandbox;
        _removedSandbox = removedSandbox;
    }

    /// <summary>Faults steps started without a duration: the run undoes those no step stopped when it ends.</summary>
    public Faults.HeldFaults Faults { get; }

    /// <summary>The run's one clock: step offsets and timeline marks are readings of it.</summary>
    public MonotonicClock Clock { get; }
    public IReadOnlyList<RunbookObjective> Objectives { get; }
    /// <summary>Where restored instances are created, beside the run's sandboxes.</summary>
    public string? SandboxRoot { get; }

    /// <summary>The run's target for an objective, in its kind's unit; null when the runbook sets none.</summary>
    public double? Objective(string name) => Objectives.FirstOrDefault(o => o.Name == name)?.Target;

    /// <summary>The run's target for a time objective (rto, rpo).</summary>
    public TimeSpan? ObjectiveTime(string name) => Objective(name) is { } seconds ? TimeSpan.FromSeconds(seconds) : null;

    /// <summary>A PostgreSQL target; another engine's is refused naming the target and its engine.</summary>
    public DbTarget Target(string name) => Store(name) as DbTarget
        ?? throw new DrToolsException($"target '{name}' is a {Store(name).Engine} cluster: this operation works on PostgreSQL "
            + $"targets.", DrErrorKind.InvalidArgument);

    /// <summary>A database target of any engine; a Kubernetes one is refused.</summary>
    public Engines.IDrillTarget Store(string name) => Resolve(name).Store
        ?? throw new DrToolsException($"target '{name}' is a Kubernetes target: this operation works on databases.",
            DrErrorKind.InvalidArgument);

    /// <summary>A Kubernetes target; a database one is refused.</summary>
    public Kubernetes.KubernetesTarget Kubernetes(string name) => Resolve(name).Kubernetes
        ?? throw new DrToolsException($"target '{name}' is a database: this operation works on Kubernetes targets (kubernetes:).",
            DrErrorKind.InvalidArgument);

    /// <summary>The sandbox behind a target, or null when the target is a cluster given by connection strings.</summary>
    public Sandbox? Sandbox(string name) => Resolve(name).Sandbox;

    /// <summary>Something a step left running in the sandbox folder (a kept restored instance): removed when the run ends.</summary>
    public void Track(string sandboxId) => _createdSandbox(sandboxId);

    public void Untrack(string sandboxId) => _removedSandbox(sandboxId);

    /// <summary>A sandbox a step made: removed when the run ends unless a step removed it first.</summary>
    public void Own(Sandbox sandbox) => _ownSandbox(sandbox);

    private ResolvedTarget Resolve(string name) => _targets.TryGetValue(name, out var target)
        ? target
        : throw new DrToolsException($"target '{name}' is not ready (its creation failed).", DrErrorKind.InvalidOperation);
}
