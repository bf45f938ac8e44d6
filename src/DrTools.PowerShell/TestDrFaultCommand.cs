using System.Management.Automation;
using DrTools.Core.Faults;
using DrTools.Core.Sandboxes;

namespace DrTools.PowerShell;

/// <summary>Proves faults were undone: no fault recorded, no DrTools nftables table, no cgroup label; of the sandbox's members no frozen
/// process, no fault proxy toxic, no DiskFull filler.</summary>
[Cmdlet(VerbsDiagnostic.Test, "DrFault")]
[OutputType(typeof(FaultTrace))]
public sealed class TestDrFaultCommand : DrCmdlet
{
    [Parameter(ValueFromPipeline = true)]
    [SandboxTransformation]
    public Sandbox? Sandbox { get; set; }

    protected override void ProcessRecord() =>
        WriteObject(RunOperation(token => FaultTrace.FindAsync(Sandbox is null ? [] : FaultMembers.Of(Sandbox), token)));
}
