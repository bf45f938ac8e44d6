namespace DrTools.Core.Postgres;

/// <summary>What a query returned: its rows (column name to value), the rows it changed, and its first value.</summary>
public sealed record DbQueryResult(string Member, string Query, int RowsAffected, IReadOnlyList<IReadOnlyDictionary<string, object?>> Rows,
    TimeSpan Duration)
{
    /// <summary>The first column of the first row: what a runbook usually saves (a count, a timestamp, an LSN).</summary>
    public object? Value => Rows.Count > 0 && Rows[0].Count > 0 ? Rows[0].First().Value : null;

    /// <remarks>A statement that changes no rows by nature (CREATE TABLE, SET …) has no count: Npgsql reports -1, never shown.</remarks>
    public override string ToString() => Rows.Count > 0 ? $"{Rows.Count} row(s) from {Member}; first value {Value ?? "null"}"
        : RowsAffected >= 0 ? $"{RowsAffected} row(s) affected on {Member}"
        : $"done on {Member} (a statement without a row count)";
}
