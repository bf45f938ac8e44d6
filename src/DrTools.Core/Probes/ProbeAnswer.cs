namespace DrTools.Core.Probes;

/// <summary>What a probe attempt's server said: its name for itself and, for a read, the run's newest sequences it has.</summary>
public sealed record ProbeAnswer(string Server, IReadOnlyList<long>? Observed = null);
