namespace DrTools.Core.Probes;

/// <summary>A drill whose history ends with an error before its final read: what its probes saw is there, nothing decided.</summary>
public sealed record UndecidedDrill(string Drill, string Error, int Writes, int Reads);
