namespace DrTools.Core.Probes;

public enum ProbeKind { Write, Read }
