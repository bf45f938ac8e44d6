using DrTools.Core.Postgres;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Runbooks;

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
