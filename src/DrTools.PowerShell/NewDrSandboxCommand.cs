using System.Management.Automation;
using DrTools.Core.Sandboxes;

namespace DrTools.PowerShell;

/// <summary>Creates a disposable PostgreSQL primary with streaming standbys on 127.0.0.1, allowed for drills.</summary>
[Cmdlet(VerbsCommon.New, "DrSandbox", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(Sandbox))]
public sealed class NewDrSandboxCommand : DrCmdlet
{
    [Parameter(Position = 0, HelpMessage = "Number of streaming standbys (0 to 8, default 1).")]
    [ValidateRange(0, 8)]
    public int Standbys { get; set; } = 1;

    [Parameter(HelpMessage = "Use synchronous replication (ANY 1 of the standbys must confirm each commit).")]
    public SwitchParameter Synchronous { get; set; }

    [Parameter(HelpMessage = "Folder to create the sandbox in (default: DRTOOLS_SANDBOX_ROOT or <temp>/drtools-sandboxes).")]
    public string? Path { get; set; }

    protected override void ProcessRecord()
    {
        var root = Path is null ? Sandbox.DefaultRoot : GetUnresolvedProviderPathFromPSPath(Path);
        if (!ShouldProcess(root, $"Create a PostgreSQL sandbox: 1 primary and {Standbys} {(Synchronous ? "synchronous" : "asynchronous")} standby(s)")) return;
        // Persistent: it outlives the pipeline, until Remove-DrSandbox.
        var options = new SandboxOptions { Standbys = Standbys, Synchronous = Synchronous, Root = root, Persistent = true };
        WriteObject(RunWithProgress("New-DrSandbox", (progress, token) => Sandbox.CreateAsync(options with { Progress = progress }, token)));
    }
}
