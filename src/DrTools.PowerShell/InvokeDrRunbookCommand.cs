using System.Management.Automation;
using DrTools.Core;
using DrTools.Core.Runbooks;

namespace DrTools.PowerShell;

/// <summary>
/// Runs a runbook with the same executor as 'drtools run': pre-checks, steps under abort conditions, cleanup that
/// always runs, journal and reports in the drill history. Steps may also be PowerShell (script:), run on this pipeline.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "DrRunbook", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(RunJournal))]
public sealed class InvokeDrRunbookCommand : DrCmdlet
{
    [Parameter(
        Mandatory = true,
        Position = 0
    )]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RunbookFileCompleter))]
    public string Path { get; set; } = "";

    [Parameter]
    public string? HistoryPath { get; set; }

    [Parameter]
    public string? Tester { get; set; }

    [Parameter]
    public System.Collections.Hashtable? Variable { get; set; }

    protected override void ProcessRecord()
    {
        var path = GetUnresolvedProviderPathFromPSPath(Path);
        // The whole file is checked before anything runs; ShouldProcess then names what will run against what.
        var values = (Variable ?? []).Cast<System.Collections.DictionaryEntry>()
            .Select(v => KeyValuePair.Create(v.Key.ToString() ?? "", v.Value?.ToString() ?? "")).ToList();
        var runbook = RunOperation(_ => Task.FromResult(RunbookParser.Load(path, scriptSteps: true).WithVariables(values)), path);
        var targets = string.Join(", ", runbook.Targets.Select(t => t switch
        {
            { Kubernetes: { } kubernetes } => $"{t.Name} (Kubernetes {kubernetes.Name})",
            { Sandbox: null } => $"{t.Name} ({t.ConnectionStrings.Count} connection string(s))",
            _ => $"{t.Name} (new sandbox)",
        }));
        var steps = string.Join(", ", runbook.Steps.Select(s => $"{s.Name} ({s.Kind})"));
        if (!ShouldProcess($"runbook '{runbook.Name}' against {targets}: {steps}",
            $"Run runbook '{runbook.Name}' ({runbook.Steps.Count} steps) against {targets}?", "Invoke-DrRunbook")) return;
        var history = HistoryPath is null ? null : GetUnresolvedProviderPathFromPSPath(HistoryPath);
        var journal = RunServingPipeline((queue, token) => RunbookExecutor.RunAsync(runbook, new RunbookRunOptions
        {
            HistoryRoot = history,
            Tester = Tester,
            Observer = new ProgressObserver(this, queue, runbook),
            ScriptHost = new ScriptBlockHost(queue, StopProcessing),
        }, token), path);
        WriteProgress(new ProgressRecord(1, runbook.Name, journal.Status.ToString()) { RecordType = ProgressRecordType.Completed });
        WriteObject(journal);
    }

    /// <summary>Write-Progress per step and a verbose line per event, written on the pipeline thread.</summary>
    private sealed class ProgressObserver(Cmdlet cmdlet, PipelineQueue queue, Runbook runbook) : IRunObserver
    {
        private readonly int _total = runbook.PreChecks.Count + runbook.Steps.Count + runbook.Cleanup.Count;
        private int _done;

        public void StepStarted(StepRecord step) => queue.Post(() => cmdlet.WriteProgress(new ProgressRecord(1, runbook.Name, step.Label)
        {
            PercentComplete = Math.Min(100, 100 * _done / Math.Max(1, _total)),
            CurrentOperation = step.Operation,
        }));

        public void StepFinished(StepRecord step)
        {
            Interlocked.Increment(ref _done);
            queue.Post(() => cmdlet.WriteVerbose(PrintableText.ForConsole(step.ToString())));
        }

        public void Note(string message) => queue.Post(() => cmdlet.WriteVerbose(PrintableText.ForConsole(message)));
    }
}
