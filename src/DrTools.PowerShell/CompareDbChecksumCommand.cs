using System.Management.Automation;
using DrTools.Core.Integrity;

namespace DrTools.PowerShell;

/// <summary>PASS when every table of the reference has the same row count and checksum now; FAIL names the tables that differ; nothing in
/// scope is "not checked" unless -AllowEmpty.</summary>
[Cmdlet(VerbsData.Compare, "DbChecksum", DefaultParameterSetName = ConnectionSet)]
[OutputType(typeof(ChecksumComparison))]
public sealed class CompareDbChecksumCommand : DbTargetCmdlet
{
    private const string DifferenceSet = "Difference";

    [Parameter(Mandatory = true)]
    public DbChecksum? Reference { get; set; }

    [Parameter(
        Mandatory = true,
        ParameterSetName = DifferenceSet
    )]
    public DbChecksum? Difference { get; set; }

    [Parameter(ParameterSetName = ConnectionSet)]
    [Parameter(ParameterSetName = SandboxSet)]
    public string? Member { get; set; }

    [Parameter]
    public SwitchParameter AllowEmpty { get; set; }

    [Parameter(ParameterSetName = ConnectionSet)]
    [Parameter(ParameterSetName = SandboxSet)]
    public SwitchParameter CheckIndexes { get; set; }

    protected override void ProcessRecord() => WriteObject(Difference is not null
        ? DbChecksums.Compare(Reference!, Difference, AllowEmpty)
        : RunOnStore((target, token) =>
            IndexCheck.CompareAsync(target, Reference!, Member, AllowEmpty, CheckIndexes ? "-CheckIndexes" : null, token)));
}
