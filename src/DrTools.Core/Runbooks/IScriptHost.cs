namespace DrTools.Core.Runbooks;

/// <summary>Runs script: steps (PowerShell script blocks); only Invoke-DrRunbook has one.</summary>
public interface IScriptHost
{
    /// <param name="variables">The run's variables (${run} and every save: so far) by name.</param>
    /// <param name="arguments">The step's with: values, variables substituted.</param>
    Task<object?> RunAsync(string script, IReadOnlyDictionary<string, object?> variables, IReadOnlyDictionary<string, object?> arguments,
        CancellationToken cancellationToken);
}
