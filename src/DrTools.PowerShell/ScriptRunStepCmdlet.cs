using System.Management.Automation;
using DrTools.Core.Runbooks;

namespace DrTools.PowerShell;

/// <summary>Base of the cmdlets that add a step to a script-driven drill (Invoke-DrStep, Register-DrCleanup): the run, the step's name, its
/// block and timeout.</summary>
public abstract class ScriptRunStepCmdlet : DrCmdlet
{
    [Parameter(
        Mandatory = true,
        Position = 0,
        ValueFromPipeline = true
    )]
    public ScriptedRun? Run { get; set; }

    [Parameter(
        Mandatory = true,
        Position = 1
    )]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    [Parameter]
    [DurationTransformation(Positive = true)]
    public TimeSpan? Timeout { get; set; }

    /// <summary>The step's block (declared by each cmdlet, with help saying what it does there).</summary>
    protected abstract ScriptBlock Block { get; }

    /// <summary>The step as the run records it: named, timed, with the DrTools command it runs and where the script declares it.</summary>
    protected ScriptStep Declare() => new(Name)
    {
        Command = StepScript.LastDrToolsCommand(Block),
        Timeout = Timeout,
        Position = new SourcePosition(MyInvocation.ScriptLineNumber, MyInvocation.OffsetInLine),
    };
}
