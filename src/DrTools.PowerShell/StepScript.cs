using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Language;
using DrTools.Core;

namespace DrTools.PowerShell;

/// <summary>
/// Runs a script block as a drill step: a nested pipeline in the caller's runspace, on the pipeline thread, so the
/// block sees the caller's variables and its progress, warnings and verbose lines show as usual. The step's token — its
/// timeout or Ctrl+C — stops the block itself, not only the wait for it. Errors stop it ($ErrorActionPreference Stop)
/// and fail the step with the error's own message.
/// </summary>
internal static class StepScript
{
    // The wrapper's names are unlikely to shadow the caller's variables, which the block reads by dynamic scope.
    private const string Wrapper = "param($__drStep, $__drVariables) foreach ($__drVariable in $__drVariables) { Set-Variable -Name "
        + "$__drVariable.Name -Value $__drVariable.Value }; $ErrorActionPreference = 'Stop'; & $__drStep";

    [ThreadStatic] private static int t_running;

    /// <summary>
    /// Whether a run's step (or cleanup) block is running on this thread, the pipeline's: a drill it runs is recorded by
    /// its run (journal and history.jsonl), not again as a run of its own.
    /// </summary>
    public static bool Running => t_running > 0;

    private static readonly HashSet<string> DrToolsCommands = typeof(StepScript).Assembly.GetTypes()
        .Select(type => type.GetCustomAttributes(typeof(CmdletAttribute), false).OfType<CmdletAttribute>().FirstOrDefault())
        .OfType<CmdletAttribute>().Select(cmdlet => $"{cmdlet.VerbName}-{cmdlet.NounName}").ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Must be called on the pipeline thread.</summary>
    /// <param name="stoppedFromOutside">
    /// Told when the block was stopped by the enclosing pipeline (Ctrl+C) before the cmdlet itself was: the cmdlet then
    /// stops too, so the step is recorded as cancelled rather than passed.
    /// </param>
    public static Collection<PSObject> Invoke(ScriptBlock block, IEnumerable<PSVariable> variables, CancellationToken cancellationToken,
        Action? stoppedFromOutside = null)
    {
        using var nested = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
        nested.AddScript(Wrapper, useLocalScope: true).AddArgument(block).AddArgument(variables.ToArray());
        using var stop = cancellationToken.Register(() => nested.BeginStop(null, null));
        Collection<PSObject> output;
        t_running++;
        try
        {
            output = nested.Invoke();
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (RuntimeException e)
        {
            throw new DrToolsException(Describe(e), KindOf(e), e);
        }
        finally
        {
            t_running--;
        }
        cancellationToken.ThrowIfCancellationRequested();
        if (nested.InvocationStateInfo.State == PSInvocationState.Stopped)
        {
            stoppedFromOutside?.Invoke();
            cancellationToken.ThrowIfCancellationRequested();
            throw new DrToolsException("stopped (Ctrl+C) before it finished", DrErrorKind.InvalidOperation);
        }
        return output;
    }

    /// <summary>What the step produced for Core: nothing, the one object, or the list of them.</summary>
    public static object? BaseObjects(Collection<PSObject> output, Func<PSObject?, object?>? unwrap = null)
    {
        var items = output.Select(unwrap ?? (item => item?.BaseObject)).ToList();
        return items.Count switch { 0 => null, 1 => items[0], _ => items };
    }

    /// <summary>The DrTools command the block ends with, for the report's Operation column (null when it runs none).</summary>
    public static string? LastDrToolsCommand(ScriptBlock block) => block.Ast
        .FindAll(node => node is CommandAst, searchNestedScriptBlocks: true).Cast<CommandAst>()
        .Select(command => command.GetCommandName()).LastOrDefault(name => name is not null && DrToolsCommands.Contains(name));

    private static string Describe(RuntimeException error)
    {
        var record = error.ErrorRecord;
        var line = record.InvocationInfo?.ScriptLineNumber is > 0 and var number ? $" (line {number})" : "";
        return $"{record.Exception?.Message ?? error.Message}{line}";
    }

    private static DrErrorKind KindOf(RuntimeException error) => error.ErrorRecord.Exception is DrToolsException known ? known.Kind
        : DrErrorKind.InvalidOperation;
}
