namespace DrTools.Core.Integrity;

/// <summary>The B-tree indexes of checksummed tables, each checked against its rows; <see cref="Faults"/> empty when all match.</summary>
public sealed record IndexCheckResult(int Checked, IReadOnlyList<IndexFault> Faults)
{
    public string HowMeasured { get; init; } = IndexCheck.Method;

    public override string ToString() => Faults.Count == 0
        ? $"indexes: PASS: {Checked} B-tree index(es) match their rows"
        : $"indexes: FAIL: {string.Join("; ", Faults.Select(f => $"{f.Index} of {f.Table}: {f.Reason}"))}";
}
