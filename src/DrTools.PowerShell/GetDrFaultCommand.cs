using System.Management.Automation;
using DrTools.Core.Faults;

namespace DrTools.PowerShell;

/// <summary>Lists the faults in effect on this machine, whichever process started them.</summary>
[Cmdlet(VerbsCommon.Get, "DrFault")]
[OutputType(typeof(FaultRecord))]
public sealed class GetDrFaultCommand : DrCmdlet
{
    protected override void ProcessRecord() => WriteObject(Faults.List(), enumerateCollection: true);
}
