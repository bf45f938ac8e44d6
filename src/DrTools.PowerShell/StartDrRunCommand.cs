using System.Collections;
using System.Management.Automation;
using DrTools.Core;
using DrTools.Core.Postgres;
using DrTools.Core.Runbooks;
using DrTools.Core.Sandboxes;

namespace DrTools.PowerShell;

/// <summary>
/// Starts a drill run driven by a script: Invoke-DrStep runs its steps, Register-DrCleanup its cleanup, Complete-DrRun
/// ends it. It gets the same clock, journal, objectives, reports and drill history as a YAML runbook.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "DrRun")]
[OutputType(typeof(ScriptedRun))]
public sealed class StartDrRunCommand : DrCmdlet
{
    [Parameter(
        Mandatory = true,
        Position = 0
    )]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    [Parameter]
    public string? TestType { get; set; }

    [Parameter]
    public string? Description { get; set; }

    [Parameter]
    [DurationTransformation(Long = true)]
    public TimeSpan? Rto { get; set; }

    [Parameter]
    [DurationTransformation(Long = true)]
    public TimeSpan? Rpo { get; set; }

    [Parameter]
    public IDictionary? Target { get; set; }

    [Parameter]
    public string? HistoryPath { get; set; }

    [Parameter]
    public string? Tester { get; set; }

    protected override void ProcessRecord()
    {
        var objectives = new List<RunbookObjective>();
        if (Rto is { } rto) objectives.Add(new("rto", rto.TotalSeconds));
        if (Rpo is { } rpo) objectives.Add(new("rpo", rpo.TotalSeconds));
        var source = MyInvocation.ScriptName is { Length: > 0 } script ? script : "interactive session";
        var options = new RunbookRunOptions { HistoryRoot = HistoryPath is null ? null : GetUnresolvedProviderPathFromPSPath(HistoryPath),
            Tester = Tester };
        WriteObject(RunOperation(_ => Task.FromResult(ScriptedRun.Start(new RunHeader(Name, TestType ?? Name, source, Description),
            objectives, Targets(), options)), Name));
    }

    private Dictionary<string, object> Targets()
    {
        var targets = new Dictionary<string, object>();
        if (Target is null) return targets;
        foreach (DictionaryEntry entry in Target)
        {
            var name = entry.Key?.ToString() ?? "";
            var value = entry.Value is PSObject wrapped ? wrapped.BaseObject : entry.Value;
            targets[name] = value switch
            {
                Sandbox sandbox => sandbox,
                string connectionString => DbTarget.FromConnectionStrings([connectionString]),
                IEnumerable strings => DbTarget.FromConnectionStrings(strings.Cast<object>().Select(s => (s is PSObject p ? p.BaseObject
                    : s)?.ToString() ?? "").ToList()),
                _
                    => throw new DrToolsException($"target '{name}': give a sandbox (New-DrSandbox) or connection strings, not a "
                    + $"{value?.GetType().Name ?? "null"}.", DrErrorKind.InvalidArgument),
            };
        }
        return targets;
    }
}
