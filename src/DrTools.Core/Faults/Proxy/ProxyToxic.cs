using System.Text.Json;
using System.Text.Json.Serialization;

namespace DrTools.Core.Faults.Proxy;

/// <summary>Which traffic through the proxy a toxic acts on: to the member (requests, WAL a standby acknowledges), from it (results, WAL it
/// sends), or both.</summary>
public enum ToxicDirection { Both, ToMember, FromMember }

/// <summary>
/// What the fault proxy does to a member's traffic while a fault holds; several toxics on one member add up (latency
/// and a bandwidth cap, say). Identified by the fault's id, which removes it.
/// </summary>
public sealed record ProxyToxic(string Id, FaultKind Kind)
{
    public ToxicDirection Direction { get; init; } = ToxicDirection.Both;
    /// <summary>Latency and Jitter: the fixed delay of every chunk, milliseconds.</summary>
    public int DelayMs { get; init; }
    /// <summary>Jitter: a further random delay of 0 to this many milliseconds, drawn per chunk (TCP keeps the order).</summary>
    public int JitterMs { get; init; }
    /// <summary>Bandwidth: bytes per second, each direction it acts on.</summary>
    public long BytesPerSecond { get; init; }

    public bool Acts(ToxicDirection direction) => Direction == ToxicDirection.Both || Direction == direction;
}

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

public sealed record ProxyListenerState(int Port, int Upstream, int Connections, IReadOnlyList<ProxyToxic> Toxics);

public sealed record ProxyReply(bool Ok)
{
    public string? Error { get; init; }
    public int? Port { get; init; }
    public int? Cleared { get; init; }
    public IReadOnlyList<ProxyListenerState>? Listeners { get; init; }
}

internal static class ProxyJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };
}
