using System.Management.Automation;
using DrTools.Core.Runbooks;

namespace DrTools.PowerShell;

/// <summary>
/// Registers a cleanup step of a script-driven drill: it runs when Complete-DrRun ends the run, whatever happened
/// before (failures, a cancelled step), in the order registered, each with its own timeout.
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "DrCleanup")]
[OutputType(typeof(void))]
public sealed class RegisterDrCleanupCommand : DrCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, HelpMessage = "The run from Start-DrRun.")]
    public ScriptedRun? Run { get; set; }

    [Parameter(Mandatory = true, Position = 1, HelpMessage = "The cleanup step's name, as the report shows it.")]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    [Parameter(Mandatory = true, Position = 2, HelpMessage = "What the cleanup does, e.g. { $sandbox | Remove-DrSandbox -Confirm:$false }.")]
    public ScriptBlock? ScriptBlock { get; set; }

    [Parameter(HelpMessage = "Longest the cleanup may take before it is stopped, e.g. 2m (default 5m).")]
    [DurationTransformation(Positive = true)]
    public TimeSpan? Timeout { get; set; }

    protected override void ProcessRecord()
    {
        var step = new ScriptStep(Name)
        {
            Command = StepScript.LastDrToolsCommand(ScriptBlock!),
            Timeout = Timeout,
            Position = new SourcePosition(MyInvocation.ScriptLineNumber, MyInvocation.OffsetInLine),
        };
        var record = RunOperation(_ => Task.FromResult(Run!.RegisterCleanup(step, ScriptBlock!)), Name);
        WriteVerbose($"{record.Label}: registered; it runs when the run completes");
    }
}
