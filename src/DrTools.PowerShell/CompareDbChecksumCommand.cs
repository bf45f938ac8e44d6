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

    [Parameter(Mandatory = true, HelpMessage = "The checksum taken before (from Get-DbChecksum).")]
    public DbChecksum? Reference { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = DifferenceSet,
        HelpMessage = "A checksum taken after; without it, the cluster is read now.")]
    public DbChecksum? Difference { get; set; }

    [Parameter(ParameterSetName = ConnectionSet, HelpMessage = "The member to read (name or host:port); default the primary.")]
    [Parameter(ParameterSetName = SandboxSet, HelpMessage = "The member to read (name or host:port); default the primary.")]
    public string? Member { get; set; }

    [Parameter(HelpMessage = "Pass when nothing is in scope (no table or key pattern in the reference or now); otherwise the result is "
        + "'not checked'.")]
    public SwitchParameter AllowEmpty { get; set; }

    private const string CheckIndexesHelp = "PostgreSQL, reading the cluster now: also check every B-tree index of the tables against "
        + "their rows (amcheck); an index that does not match fails the comparison.";

    [Parameter(ParameterSetName = ConnectionSet, HelpMessage = CheckIndexesHelp)]
    [Parameter(ParameterSetName = SandboxSet, HelpMessage = CheckIndexesHelp)]
    public SwitchParameter CheckIndexes { get; set; }

    protected override void ProcessRecord() => WriteObject(Difference is not null
        ? DbChecksums.Compare(Reference!, Difference, AllowEmpty)
        : RunOnStore((target, token) =>
            IndexCheck.CompareAsync(target, Reference!, Member, AllowEmpty, CheckIndexes ? "-CheckIndexes" : null, token)));
}
