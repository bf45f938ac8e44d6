using System.Management.Automation;
using DrTools.Core.Cleanup;
using DrTools.Core.Sandboxes;

namespace DrTools.PowerShell;

/// <summary>Lists sandboxes on this machine, including ones whose creating process was killed (State Orphaned).</summary>
[Cmdlet(VerbsCommon.Get, "DrSandbox")]
[OutputType(typeof(SandboxInfo), typeof(Sandbox))]
public sealed class GetDrSandboxCommand : DrCmdlet
{
    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(SandboxIdCompleter))]
    public string? Id { get; set; }

    [Parameter]
    public string? Path { get; set; }

    protected override void ProcessRecord()
    {
        var root = Path is null ? Sandbox.DefaultRoot : GetUnresolvedProviderPathFromPSPath(Path);
        if (Id is not null)
        {
            WriteObject(RunOperation(_ => Task.FromResult(Sandbox.Open(Id, root)), Id));
            return;
        }
        WriteObject(Leftovers.List(root), enumerateCollection: true);
    }
}
