using System.Management.Automation;
using DrTools.Core.Runbooks;

namespace DrTools.PowerShell;

/// <summary>
/// Registers a cleanup step of a script-driven drill: it runs when Complete-DrRun ends the run, whatever happened
/// before (failures, a cancelled step), in the order registered, each with its own timeout.
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "DrCleanup")]
[OutputType(typeof(void))]
public sealed class RegisterDrCleanupCommand : ScriptRunStepCmdlet
{
    [Parameter(
        Mandatory = true,
        Position = 2
    )]
    public ScriptBlock? ScriptBlock { get; set; }

    protected override ScriptBlock Block => ScriptBlock!;

    protected override void ProcessRecord()
    {
        var record = RunOperation(_ => Task.FromResult(Run!.RegisterCleanup(Declare(), ScriptBlock!)), Name);
        WriteVerbose($"{record.Label}: registered; it runs when the run completes");
    }
}
