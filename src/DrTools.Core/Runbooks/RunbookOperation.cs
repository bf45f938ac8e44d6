using DrTools.Core.Postgres;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Runbooks;

public enum ParameterKind { String, StringList, Integer, Number, Boolean, Duration, Timestamp, Choice, Target, Object }

/// <summary>A parameter of a runbook operation, named like the cmdlet's parameter (written camelCase in runbooks).</summary>
public sealed record OperationParameter(string Name, ParameterKind Kind, string Help)
{
    public bool Required { get; init; }
    /// <summary>For Object parameters: the type a ${variable} must hold.</summary>
    public Type? ObjectType { get; init; }
    public IReadOnlyList<string> Choices { get; init; } = [];
    /// <summary>For Integer and Number parameters: the values accepted.</summary>
    public double Minimum { get; init; }
    public double Maximum { get; init; } = int.MaxValue;
    /// <summary>For Duration parameters: the longest accepted, and whether zero is refused (timeouts, intervals).</summary>
    public TimeSpan MaxDuration { get; init; } = DurationText.MaxWait;
    public bool Positive { get; init; }
    /// <summary>For Target parameters: only a sandbox target will do (Remove-DrSandbox).</summary>
    public bool SandboxOnly { get; init; }

    public string Describe() => Kind switch
    {
        ParameterKind.Choice => $"one of {string.Join(", ", Choices)}",
        ParameterKind.Object => $"a ${{variable}} holding a {ObjectType?.Name ?? "value"}",
        ParameterKind.Target => "a target name",
        ParameterKind.Duration => "a duration such as 30s",
        ParameterKind.StringList => "a string or a list of strings",
        ParameterKind.Timestamp => "a timestamp such as 2026-11-22 10:00:00+00:00",
        _ => $"a {Kind.ToString().ToLowerInvariant()}",
    };
}

/// <summary>
/// An operation a runbook step runs: the same operation as the cmdlet of that name, with the same parameters (plus
/// "target", which names a runbook target where the cmdlet takes -ConnectionString or -Sandbox).
/// </summary>
public sealed class RunbookOperation(string name, Type outputType, string description, IReadOnlyList<OperationParameter> parameters,
    Func<OperationContext, StepArguments, CancellationToken, Task<StepOutcome>> run)
{
    public string Name { get; } = name;
    public Type OutputType { get; } = outputType;
    public string Description { get; } = description;
    public IReadOnlyList<OperationParameter> Parameters { get; } = parameters;
    /// <summary>Objectives this operation measures itself (client-observed); any step can count its duration toward rto.</summary>
    public IReadOnlyList<string> Measures { get; init; } = [];
    /// <summary>Groups of parameters of which exactly one must be given (like a cmdlet's parameter sets).</summary>
    public IReadOnlyList<string[]> ExactlyOneOf { get; init; } = [];

    public OperationParameter? Parameter(string name) => Parameters.FirstOrDefault(p => string.Equals(p.Name, name,
        StringComparison.OrdinalIgnoreCase));

    public Task<StepOutcome> RunAsync(OperationContext context, StepArguments arguments, CancellationToken cancellationToken) =>
        run(context, arguments, cancellationToken);
}

/// <summary>A step's arguments, converted to their parameters' types (variables already substituted).</summary>
public sealed class StepArguments(IReadOnlyDictionary<string, object?> values)
{
    public string? String(string name) => Get<string>(name);
    public string Required(string name) => Get<string>(name) ?? throw new DrToolsException($"parameter {name} is required.",
        DrErrorKind.InvalidArgument);
    public IReadOnlyList<string>? List(string name) => Get<IReadOnlyList<string>>(name);
    public double? Number(string name) => values.TryGetValue(name, out var value) && value is not null ? Convert.ToDouble(value,
        System.Globalization.CultureInfo.InvariantCulture) : null;
    public long? Integer(string name) => values.TryGetValue(name, out var value) && value is not null ? (long)value : null;
    public bool Flag(string name) => Get<bool?>(name) ?? false;
    public TimeSpan? Duration(string name) => Get<TimeSpan?>(name);
    public DateTimeOffset? Timestamp(string name) => Get<DateTimeOffset?>(name);
    public T? Get<T>(string name) => values.TryGetValue(name, out var value) && value is T typed ? typed : default;
}

/// <summary>What a step produced: its result object (saved with save:), whether it passed, and the figures it measured.</summary>
public sealed record StepOutcome(object? Output, bool Passed, string Summary)
{
    public IReadOnlyList<Measurement> Measurements { get; init; } = [];
    /// <summary>Figures for objectives, keyed "rto"/"rpo".</summary>
    public IReadOnlyDictionary<string, Measurement> ObjectiveFigures { get; init; } = new Dictionary<string, Measurement>();
    public IReadOnlyList<TimelineMark> Marks { get; init; } = [];
}

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
    public DbTarget Target(string name) => Resolve(name).Store as DbTarget
        ?? throw new DrToolsException($"target '{name}' is a {Resolve(name).Store.Engine} cluster: this operation works on PostgreSQL "
            + $"targets.", DrErrorKind.InvalidArgument);

    /// <summary>A target of any engine.</summary>
    public Engines.IDrillTarget Store(string name) => Resolve(name).Store;

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

internal sealed record ResolvedTarget(Engines.IDrillTarget Store, Sandbox? Sandbox);

/// <summary>The built-in variable ${run}: ${run.id}, ${run.directory} (a scratch folder removed when the run ends),
/// ${run.startedAt}.</summary>
public sealed record RunInfo(string Id, string Directory, DateTimeOffset StartedAt);
