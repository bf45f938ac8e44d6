using System.Management.Automation;
using DrTools.Core.Postgres;

namespace DrTools.PowerShell;

/// <summary>Runs SQL on the primary (or a named member) and returns its rows: the setup, data and marker statements of a drill.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "DbQuery", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High,
    DefaultParameterSetName = ConnectionSet)]
[OutputType(typeof(DbQueryResult))]
public sealed class InvokeDbQueryCommand : DbTargetCmdlet
{
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Query { get; set; } = "";

    [Parameter]
    [ArgumentCompleter(typeof(MemberCompleter))]
    public string? Member { get; set; }

    protected override void ProcessRecord()
    {
        var target = RunOperation(_ => Task.FromResult(ResolveStore()), Sandbox);
        if (!ShouldProcess(Member is null ? $"the primary of {target.Name}" : $"{Member} of {target.Name}", $"Run query: {Query}")) return;
        WriteObject(RunOperation(token => target.QueryAsync(Query, Member, token), target.Name));
    }
}
