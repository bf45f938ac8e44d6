using System.Management.Automation;
using DrTools.Core.Runbooks;

namespace DrTools.PowerShell;

/// <summary>
/// Ends a script-driven drill: runs its registered cleanups, removes the sandboxes it owns and its scratch folder,
/// evaluates its objectives and writes the journal and reports to the drill history. Call it in a finally block so it
/// runs on failure and Ctrl+C too; completing again returns the same journal. The verdict is written to the host.
/// </summary>
[Cmdlet(VerbsLifecycle.Complete, "DrRun")]
[OutputType(typeof(RunJournal))]
public sealed class CompleteDrRunCommand : DrCmdlet
{
    [Parameter(
        Mandatory = true,
        Position = 0,
        ValueFromPipeline = true
    )]
    public ScriptedRun? Run { get; set; }

    protected override void ProcessRecord()
    {
        var run = Run!;
        var journal = RunServingPipeline((queue, _) => run.CompleteAsync((body, token) => queue.InvokeAsync(()
            => StepScript.BaseObjects(StepScript.Invoke((ScriptBlock)body, [], token)), token)), run.Name);
        foreach (var step in journal.Steps.Where(s => s.Section == RunbookSection.Cleanup)) WriteVerbose(step.ToString());
        // The verdict on the console, as `drtools run` prints it, whatever the journal is piped to (Export-DrReport).
        foreach (var line in journal.VerdictLines())
        {
            WriteInformation(new HostInformationMessage { Message = Core.PrintableText.ForConsole(line) }, ["PSHOST"]);
        }
        WriteObject(journal);
    }
}
