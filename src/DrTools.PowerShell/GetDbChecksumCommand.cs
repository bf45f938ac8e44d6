using System.Management.Automation;
using DrTools.Core.Integrity;

namespace DrTools.PowerShell;

/// <summary>Row counts and order-independent content checksums of the tables in scope, read in one snapshot.</summary>
[Cmdlet(VerbsCommon.Get, "DbChecksum", DefaultParameterSetName = ConnectionSet)]
[OutputType(typeof(DbChecksum))]
public sealed class GetDbChecksumCommand : DbTargetCmdlet
{
    [Parameter]
    public string? Member { get; set; }

    [Parameter]
    public string[]? Table { get; set; }

    [Parameter]
    public SwitchParameter CheckIndexes { get; set; }

    protected override void ProcessRecord()
    {
        var checksum = RunOnStore((target, token) =>
            IndexCheck.ChecksumAsync(target, Member, Table, CheckIndexes ? "-CheckIndexes" : null, token));
        // The line drtools prints (exit 1 there): a wrong index is said whatever view shows the checksum.
        if (checksum.Indexes is { Faults.Count: > 0 } indexes) WriteWarning(indexes.ToString());
        WriteObject(checksum);
    }
}
