namespace DrTools.Core.Probes;

/// <summary>What the HTTP probe saw: error rate, latency percentiles, the longest run of failures and the time to recover from it, each
/// with its target.</summary>
public sealed record HttpProbeResult(Uri Url, int Attempts, int Failed, IReadOnlyList<Measurement> Figures,
    IReadOnlyList<ProbeSample> Samples)
{
    public bool Met => Figures.All(f => f.Met != false);

    public override string ToString() =>
        $"{Url}: {Failed}/{Attempts} failed; "
        + $"{string.Join(", ", Figures.Select(f => $"{f.Name} {Measurement.Format(f.Measured)} {f.Unit}"))}";
}
