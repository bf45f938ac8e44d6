namespace DrTools.Core.Patroni;

/// <summary>The write and the read probe of a drill.</summary>
internal sealed record ProbeOptionsPair(Probes.ProbeOptions Write, Probes.ProbeOptions Read);
