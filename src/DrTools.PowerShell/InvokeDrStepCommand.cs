using System.Collections.ObjectModel;
using System.Management.Automation;
using DrTools.Core;
using DrTools.Core.Runbooks;

namespace DrTools.PowerShell;

/// <summary>
/// Runs one step of a script-driven drill (Start-DrRun): the script block is timed on the run's clock, its result read
/// as a runbook step's (figures, objectives, timeline) and recorded in the journal; its output is returned. After a
/// failed pre-check or step, or a cancellation, later steps are recorded as skipped and do not run.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "DrStep")]
[OutputType(typeof(object))]
public sealed class InvokeDrStepCommand : ScriptRunStepCmdlet
{
    [Parameter(
        Mandatory = true,
        Position = 2
    )]
    public ScriptBlock? ScriptBlock { get; set; }

    [Parameter]
    public SwitchParameter PreCheck { get; set; }

    [Parameter]
    [ValidateSet("rto", "rpo")]
    public string[]? Objective { get; set; }

    [Parameter]
    public SwitchParameter ContinueOnError { get; set; }

    [Parameter]
    public string? Remediation { get; set; }

    protected override ScriptBlock Block => ScriptBlock!;

    protected override void ProcessRecord()
    {
        var run = Run!;
        var step = Declare() with
        {
            Section = PreCheck ? RunbookSection.PreCheck : RunbookSection.Step,
            ContinueOnError = ContinueOnError,
            Objectives = Objective ?? [],
            Remediation = Remediation,
        };
        Collection<PSObject>? output = null;
        var (record, _) = RunServingPipeline((queue, token) => run.RunStepAsync(step, stepToken => queue.InvokeAsync(() =>
        {
            output = StepScript.Invoke(ScriptBlock!, [], stepToken, StopProcessing);
            return StepScript.BaseObjects(output);
        }, stepToken), token), Name);
        WriteVerbose(record.ToString());
        if (output is not null) WriteObject(output, enumerateCollection: true);
        switch (record.Status)
        {
            case StepStatus.Cancelled:
                throw new PipelineStoppedException();
            case StepStatus.Skipped:
                WriteWarning($"{record.Label}: {record.Message}");
                break;
            case StepStatus.Passed:
                break;
            default:
                var error = new DrToolsException($"{record.Label} {record.Status.ToString().ToLowerInvariant()}: {record.Message}",
                    DrErrorKind.InvalidOperation);
                if (ContinueOnError) WriteWarning($"{error.Message} (-ContinueOnError: the run goes on)");
                else
                {
                    var shown = new ErrorDetails(PrintableText.ForConsole(error.Message));
                    WriteError(new ErrorRecord(error, "DrTools.StepFailed", ErrorCategory.InvalidResult, Name) { ErrorDetails = shown });
                }
                break;
        }
    }
}
