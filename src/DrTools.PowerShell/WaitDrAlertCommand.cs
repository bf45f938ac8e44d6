using System.Collections;
using System.Management.Automation;
using DrTools.Core.Monitoring;
using DrTools.Core.Sandboxes;

namespace DrTools.PowerShell;

/// <summary>
/// Waits for an alert to fire (or resolve) in Alertmanager within a time — and, on a monitoring sandbox, for DrTools'
/// receiver to get the notification — and measures both; when it does not, says which rule and what Prometheus saw.
/// </summary>
[Cmdlet(VerbsLifecycle.Wait, "DrAlert")]
[OutputType(typeof(AlertWaitResult))]
public sealed class WaitDrAlertCommand : DrCmdlet
{
    [Parameter(
        Mandatory = true,
        Position = 0
    )]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    [Parameter(ValueFromPipeline = true)]
    [SandboxTransformation]
    public Sandbox? Sandbox { get; set; }

    [Parameter]
    public Hashtable? Label { get; set; }

    // A string, not AlertState: PowerShell lays out cmdlet types before the module initializer can resolve DrTools.Core.
    [Parameter]
    [ValidateSet(nameof(AlertState.Firing), nameof(AlertState.Resolved))]
    public string State { get; set; } = nameof(AlertState.Firing);

    [Parameter]
    [DurationTransformation(Positive = true)]
    public TimeSpan Within { get; set; } = TimeSpan.FromSeconds(60);

    [Parameter]
    public string? Alertmanager { get; set; }

    [Parameter]
    public string? Prometheus { get; set; }

    protected override void ProcessRecord()
    {
        var sources = RunOperation(_ => Task.FromResult(AlertSources.Resolve(Sandbox, Prometheus, Alertmanager)));
        WriteObject(RunOperation(token => AlertWatch.WaitAsync(sources, new AlertWaitOptions(Name) { Labels = TextValues(Label),
            State = Enum.Parse<AlertState>(State, ignoreCase: true), Within = Within }, token), Name));
    }
}
