using System.Management.Automation;
using DrTools.Core.Faults;

namespace DrTools.PowerShell;

/// <summary>Undoes faults: by id (or piped from Start-DrFault / Get-DrFault), or every one on this machine with -All, including what killed
/// runs left.</summary>
[Cmdlet(VerbsLifecycle.Stop, "DrFault", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = IdSet)]
[OutputType(typeof(FaultEnd))]
public sealed class StopDrFaultCommand : DrCmdlet
{
    private const string IdSet = "Id";
    private const string AllSet = "All";

    [Parameter(
        Mandatory = true,
        Position = 0,
        ValueFromPipelineByPropertyName = true,
        ParameterSetName = IdSet
    )]
    [ValidateNotNullOrEmpty]
    public string[] Id { get; set; } = [];

    [Parameter(
        Mandatory = true,
        ParameterSetName = AllSet
    )]
    public SwitchParameter All { get; set; }

    protected override void ProcessRecord()
    {
        if (All)
        {
            foreach (var kept in RunOperation(Faults.KeptElsewhereAsync)) WriteWarning(kept);
            if (ShouldProcess("every fault left behind on this machine, and this session's own", "Undo"))
            {
                foreach (var end in RunOperation(Faults.StopAllAsync)) Write(end);
            }
            return;
        }
        foreach (var id in Id)
        {
            if (ShouldProcess(id, "Undo")) Write(RunOperation(token => Faults.StopAsync(id, token), id));
        }
    }

    /// <summary>The fault's end, and an error when it was undone but its record stays (a read-only fault-state disk).</summary>
    private void Write(FaultEnd end)
    {
        WriteObject(end);
        if (end.RecordKept is { } kept)
        {
            var error = new Core.DrToolsException(kept, Core.DrErrorKind.InvalidOperation);
            WriteError(new ErrorRecord(error, "DrTools.FaultRecordKept", ErrorCategory.WriteError, end.Id));
        }
    }
}
