using System.Text.Json;
using System.Text.Json.Serialization;

namespace DrTools.Core.Faults.Proxy;

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
