namespace DrTools.Core.Faults.Proxy;

public sealed record ProxyReply(bool Ok)
{
    public string? Error { get; init; }
    public int? Port { get; init; }
    public int? Cleared { get; init; }
    public IReadOnlyList<ProxyListenerState>? Listeners { get; init; }
}
