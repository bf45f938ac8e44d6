using System.Management.Automation;
using DrTools.Core.Cleanup;
using DrTools.Core.Sandboxes;

namespace DrTools.PowerShell;

/// <summary>Stops every server of a sandbox and deletes its directory, its data included.</summary>
[Cmdlet(VerbsCommon.Remove, "DrSandbox", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High,
    DefaultParameterSetName = SandboxSet)]
public sealed class RemoveDrSandboxCommand : DrCmdlet
{
    private const string SandboxSet = "Sandbox";
    private const string IdSet = "Id";
    private const string AllSet = "All";

    [Parameter(
        Mandatory = true,
        Position = 0,
        ValueFromPipeline = true,
        ParameterSetName = SandboxSet
    )]
    public Sandbox? Sandbox { get; set; }

    [Parameter(
        Mandatory = true,
        ValueFromPipelineByPropertyName = true,
        ParameterSetName = IdSet
    )]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(SandboxIdCompleter))]
    public string[] Id { get; set; } = [];

    [Parameter(
        Mandatory = true,
        ParameterSetName = AllSet
    )]
    public SwitchParameter All { get; set; }

    [Parameter(ParameterSetName = IdSet)]
    [Parameter(ParameterSetName = AllSet)]
    public string? Path { get; set; }

    protected override void ProcessRecord()
    {
        if (Sandbox is not null)
        {
            if (ShouldProcess(Sandbox.ToString(), "Stop and delete")) RunOperation(_ => Sandbox.DisposeAsync().AsTask(), Sandbox);
            return;
        }
        var root = Path is null ? Core.Sandboxes.Sandbox.DefaultRoot : GetUnresolvedProviderPathFromPSPath(Path);
        var items = All ? Leftovers.List(root) : Id.Select(id => RunOperation(_ => Task.FromResult(Leftovers.Find(id, root)), id)).ToList();
        // Faults first, whatever process started them: a frozen or cut-off member must not outlive its drill.
        if (All && Core.Faults.Faults.List().Count > 0 && ShouldProcess("every fault left behind on this machine", "Undo"))
        {
            foreach (var end in RunOperation(Core.Faults.Faults.StopAllAsync))
            {
                if (end.Undone) WriteVerbose($"undid fault {end}");
                else WriteWarning($"could not undo fault {end}");
            }
        }
        foreach (var item in items)
        {
            if (All && !Leftovers.IsRemovable(item))
            {
                WriteWarning($"skipped {item.Id}: {Leftovers.WhyKept(item)}");
                continue;
            }
            var what = item.Kind == SandboxKind.RunScratch ? $"scratch folder {item.Directory} of killed run {item.Id}"
                : $"sandbox {item.Id} under {root}";
            if (ShouldProcess(what, "Stop and delete")) RunOperation(_ => Leftovers.RemoveAsync(item), item.Id);
        }
    }
}
