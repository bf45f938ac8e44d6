namespace DrTools.Core.Integrity;

/// <summary>
/// PASS when every table in the reference has the same count and checksum now, and no table in scope was added. With no
/// table in scope at all (none in the reference, none now) nothing was compared: not a PASS unless the user allowed it.
/// </summary>
public sealed record ChecksumComparison(DbChecksum Reference, DbChecksum Current, IReadOnlyList<TableDifference> Differences)
{
    public const string NotChecked = "not checked: nothing in scope";

    /// <summary>Nothing to compare: no table (Redis: key pattern) in the reference and none now.</summary>
    public bool NothingInScope => Reference.AllTables.Count == 0 && Current.AllTables.Count == 0;

    /// <summary>The user accepts nothing in scope as a pass (-AllowEmpty, --allow-empty, allowEmpty: true).</summary>
    public bool AllowEmpty { get; init; }

    /// <summary>
    /// Something differs, or an index of the current checksum (when checked) does not match its rows. Neither failed nor
    /// passed: nothing in scope, not allowed.
    /// </summary>
    public bool Failed => Differences.Count > 0 || IndexFaults.Count > 0;

    private IReadOnlyList<IndexFault> IndexFaults => Current.Indexes?.Faults ?? [];
    public bool Passed => !Failed && (!NothingInScope || AllowEmpty);
    public string Result => Failed ? "FAIL" : Passed ? "PASS" : NotChecked;

    private string DatabaseCount => Reference.OtherDatabases is { } others ? $" in {others.Count + 1} database(s)" : "";

    public override string ToString() => (Failed, NothingInScope) switch
    {
        // A table's name is the server's: printed on the verdict's line, a line feed in it made a "PASS: …" line of its own.
        (true, _) => $"FAIL: {string.Join("; ", [.. Differences.Select(d => $"{PrintableText.OneLine(d.Table)}: {d.Reason}"),
            .. IndexFaults.Select(f => $"index {PrintableText.OneLine(f.Index)} of {PrintableText.OneLine(f.Table)}: {f.Reason}")])}",
        (false, true) when AllowEmpty => "PASS: nothing in scope (no table in the reference or now), allowed as asked",
        (false, true) => $"{NotChecked}: no table in the reference or now",
        _ => $"PASS: {Reference.AllTables.Count} {Current.TableWord}(s) identical{DatabaseCount}"
            + (Current.Indexes is { } indexes ? $", {indexes.Checked} B-tree index(es) match their rows" : ""),
    };
}
