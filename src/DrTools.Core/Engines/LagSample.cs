namespace DrTools.Core.Engines;

/// <summary>A replica's lag at one moment: how far behind in the engine's unit, and in seconds (as the engine reports them, or measured)
/// when known.</summary>
public sealed record LagSample(string Replica, string Primary, double Behind, double? Seconds)
{
    /// <summary>Redis: seconds since the replica last heard from the primary (data or ping); shown apart, never as lag.</summary>
    public double? IdleSeconds { get; init; }
}
