namespace DrTools.Core.Integrity;

/// <summary>One table's row count and order-independent content checksum (sum of a 64-bit hash of every row).</summary>
public sealed record TableChecksum(string Table, long Rows, decimal Checksum)
{
    /// <summary>How the rows were hashed: "record" (hash_record_extended) or "text" (hashtextextended of the row's text form; also when
    /// unset, as in catalogs written before "record").</summary>
    public string? Method { get; init; }

    /// <summary>
    /// Redis: the earliest expiry time among the pattern's keys (none when no key expires). Keys gone after it may have
    /// expired rather than been lost; nothing recorded tells the two apart, so a comparison names it with the difference.
    /// </summary>
    public DateTimeOffset? FirstExpiry { get; init; }

    /// <summary>
    /// MariaDB: the table's columns and indexes, one "what: how" line each (see <see cref="TableDefinitions"/>); none in
    /// references taken before definitions were recorded, whose comparisons cannot see a schema change.
    /// </summary>
    public string? Definition { get; init; }
}
