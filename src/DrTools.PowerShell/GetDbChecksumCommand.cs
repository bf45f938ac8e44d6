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

    [Parameter(HelpMessage = "Tables to checksum (schema-qualified or in the search path; MariaDB schema.table; Redis key patterns prefix:*); default every table but DrTools' own.")]
    public string[]? Table { get; set; }

    protected override void ProcessRecord() => WriteObject(RunOnStore((target, token) => Core.Engines.Stores.ChecksumAsync(target, Member, Table, token)));
}
