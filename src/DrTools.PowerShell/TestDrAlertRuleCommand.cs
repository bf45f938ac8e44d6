using System.Management.Automation;
using DrTools.Core.Monitoring;
using DrTools.Core.Sandboxes;

namespace DrTools.PowerShell;

/// <summary>The alerting rules Prometheus evaluates now: which would fire, which are pending, and their alerts.</summary>
[Cmdlet(VerbsDiagnostic.Test, "DrAlertRule")]
[OutputType(typeof(AlertRule))]
public sealed class TestDrAlertRuleCommand : DrCmdlet
{
    [Parameter(Position = 0, HelpMessage = "Only rules whose name matches (wildcards allowed).")]
    [SupportsWildcards]
    public string? Name { get; set; }

    [Parameter(ValueFromPipeline = true, HelpMessage = "A monitoring sandbox (New-DrSandbox -Monitoring).")]
    [SandboxTransformation]
    public Sandbox? Sandbox { get; set; }

    [Parameter(HelpMessage = "Prometheus' URL, for your own stack (e.g. http://prometheus:9090).")]
    public string? Prometheus { get; set; }

    protected override void ProcessRecord()
    {
        var sources = RunOperation(_ => Task.FromResult(AlertSources.Resolve(Sandbox, Prometheus, null)));
        foreach (var rule in RunOperation(token => AlertRules.ListAsync(sources, Name, token))) WriteObject(rule);
    }
}
