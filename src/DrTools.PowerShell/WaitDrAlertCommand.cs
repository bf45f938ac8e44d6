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
    [Parameter(Mandatory = true, Position = 0, HelpMessage = "The alert's name (its rule's alert:), e.g. InstanceDown.")]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    [Parameter(ValueFromPipeline = true,
        HelpMessage = "A monitoring sandbox (New-DrSandbox -Monitoring): its Alertmanager, Prometheus and DrTools' receiver.")]
    [SandboxTransformation]
    public Sandbox? Sandbox { get; set; }

    [Parameter(HelpMessage = "Labels the alert must have, e.g. @{ member = 'node0' }.")]
    public Hashtable? Label { get; set; }

    // A string, not AlertState: PowerShell lays out cmdlet types before the module initializer can resolve DrTools.Core.
    [Parameter(HelpMessage = "Firing (default) or Resolved.")]
    [ValidateSet(nameof(AlertState.Firing), nameof(AlertState.Resolved))]
    public string State { get; set; } = nameof(AlertState.Firing);

    [Parameter(HelpMessage = "How long it may take, e.g. 60s (the default).")]
    [DurationTransformation(Positive = true)]
    public TimeSpan Within { get; set; } = TimeSpan.FromSeconds(60);

    [Parameter(HelpMessage = "Alertmanager's URL, for your own stack (e.g. http://alertmanager:9093).")]
    public string? Alertmanager { get; set; }

    [Parameter(HelpMessage = "Prometheus' URL, for your own stack: when the alert does not come, its rule and last value are read there.")]
    public string? Prometheus { get; set; }

    protected override void ProcessRecord()
    {
        var sources = RunOperation(_ => Task.FromResult(AlertSources.Resolve(Sandbox, Prometheus, Alertmanager)));
        WriteObject(RunOperation(token => AlertWatch.WaitAsync(sources, new AlertWaitOptions(Name) { Labels = TextValues(Label),
            State = Enum.Parse<AlertState>(State, ignoreCase: true), Within = Within }, token), Name));
    }
}
