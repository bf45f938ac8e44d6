namespace DrTools.Core.Kubernetes;

/// <summary>
/// What a drill asked of the API server outside its watch over <paramref name="Over"/>: reads (lists, gets) and writes (its
/// own actions). The reads are what watching instead of polling keeps low.
/// </summary>
public sealed record ApiRequests(int Reads, int Writes, TimeSpan Over)
{
    public double ReadsPerSecond => Over > TimeSpan.Zero ? Reads / Over.TotalSeconds : Reads;

    public override string ToString() => $"{Reads} read(s) ({FigureText.Number(Math.Round(ReadsPerSecond, 2))}/s) and {Writes} "
        + $"write(s) in {FigureText.Of(Over.TotalSeconds, "s")}";
}
