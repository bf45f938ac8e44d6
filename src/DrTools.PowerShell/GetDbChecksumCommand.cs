using System.Management.Automation;
using DrTools.Core.Integrity;

namespace DrTools.PowerShell;

/// <summary>Row counts and order-independent content checksums of the tables in scope, read in one snapshot.</summary>
[Cmdlet(VerbsCommon.Get, "DbChecksum", DefaultParameterSetName = ConnectionSet)]
[OutputType(typeof(DbChecksum))]
public sealed class GetDbChecksumCommand : DbTargetCmdlet
{
    [Parameter(HelpMessage = "The member to read (name or host:port); default the primary.")]
    public string? Member { get; set; }

    [Parameter(HelpMessage = "Tables to checksum (schema-qualified or in the search path; MariaDB schema.table; Redis key patterns "
        + "prefix:*); default every table but DrTools' own.")]
    public string[]? Table { get; set; }

    [Parameter(HelpMessage = "PostgreSQL: also check every B-tree index of the tables against their rows (amcheck, which must be "
        + "installed in the database), in the result's Indexes. Rows alone never show a wrong index.")]
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
