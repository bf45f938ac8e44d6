using System.Management.Automation;
using DrTools.Core.Runbooks;

namespace DrTools.PowerShell;

/// <summary>
/// Runs a runbook's script: steps as PowerShell script blocks on the pipeline thread. The run's variables ($run and
/// every save:) and the step's with: values are PowerShell variables in the block; errors stop it ($ErrorActionPreference
/// Stop) and fail the step; its timeout stops the block.
/// </summary>
internal sealed class ScriptBlockHost(PipelineQueue queue, Action stopCmdlet) : IScriptHost
{
    public Task<object?> RunAsync(string script, IReadOnlyDictionary<string, object?> variables, IReadOnlyDictionary<string,
        object?> arguments, CancellationToken cancellationToken) =>
        queue.InvokeAsync(() =>
        {
            var context = variables.Concat(arguments).Select(v => new PSVariable(v.Key, v.Value));
            return StepScript.BaseObjects(StepScript.Invoke(ScriptBlock.Create(script), context, cancellationToken, stopCmdlet), Unwrap);
        }, cancellationToken);

    /// <summary>A [pscustomobject] becomes a dictionary, so later steps can read ${saved.Property}; anything else its base
    /// object.</summary>
    private static object? Unwrap(PSObject? value) => value?.BaseObject is PSCustomObject
        ? value.Properties.ToDictionary(p => p.Name, p => (object?)p.Value)
        : value?.BaseObject;
}
