namespace DrTools.Core.Faults.Proxy;

public sealed record ProxyListenerState(int Port, int Upstream, int Connections, IReadOnlyList<ProxyToxic> Toxics);
