using System.Management.Automation;
using DrTools.Core.Monitoring;
using DrTools.Core.Sandboxes;

namespace DrTools.PowerShell;

/// <summary>The alerting rules Prometheus evaluates now: which would fire, which are pending, and their alerts.</summary>
[Cmdlet(VerbsDiagnostic.Test, "DrAlertRule")]
[OutputType(typeof(AlertRule))]
public sealed class TestDrAlertRuleCommand : DrCmdlet
{
    [Parameter(Position = 0)]
    [SupportsWildcards]
    public string? Name { get; set; }

    [Parameter(ValueFromPipeline = true)]
    [SandboxTransformation]
    public Sandbox? Sandbox { get; set; }

    [Parameter]
    public string? Prometheus { get; set; }

    protected override void ProcessRecord()
    {
        var sources = RunOperation(_ => Task.FromResult(AlertSources.Resolve(Sandbox, Prometheus, null)));
        foreach (var rule in RunOperation(token => AlertRules.ListAsync(sources, Name, token))) WriteObject(rule);
    }
}
