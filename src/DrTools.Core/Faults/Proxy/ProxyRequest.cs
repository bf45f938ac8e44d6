namespace DrTools.Core.Faults.Proxy;

/// <summary>One request to the fault proxy over its control socket, and its answer: one JSON line each.</summary>
public sealed record ProxyRequest(string Op)
{
    /// <summary>listen: the port to listen on (none: a free one) — or, for one listening already, whose upstream changes.</summary>
    public int? Port { get; init; }
    public int? Upstream { get; init; }
    public ProxyToxic? Toxic { get; init; }
    /// <summary>clear: the toxic (fault id) to remove.</summary>
    public string? Id { get; init; }
}
