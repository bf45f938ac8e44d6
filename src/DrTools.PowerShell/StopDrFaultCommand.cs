using System.Management.Automation;
using DrTools.Core.Faults;

namespace DrTools.PowerShell;

/// <summary>Undoes faults: by id (or piped from Start-DrFault / Get-DrFault), or every one on this machine with -All, including what killed runs left.</summary>
[Cmdlet(VerbsLifecycle.Stop, "DrFault", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = IdSet)]
[OutputType(typeof(FaultEnd))]
public sealed class StopDrFaultCommand : DrCmdlet
{
    private const string IdSet = "Id";
    private const string AllSet = "All";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = IdSet, HelpMessage = "Id of an active fault, as Start-DrFault returns it and Get-DrFault lists it.")]
    [ValidateNotNullOrEmpty]
    public string[] Id { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = AllSet, HelpMessage = "Undo every active fault, and delete DrTools' nftables tables left by killed processes.")]
    public SwitchParameter All { get; set; }

    protected override void ProcessRecord()
    {
        if (All)
        {
            if (ShouldProcess("every active fault on this machine", "Undo")) WriteObject(RunOperation(Faults.StopAllAsync), enumerateCollection: true);
            return;
        }
        foreach (var id in Id)
        {
            if (ShouldProcess(id, "Undo")) WriteObject(RunOperation(token => Faults.StopAsync(id, token), id));
        }
    }
}
