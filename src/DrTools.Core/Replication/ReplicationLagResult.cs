using System.Text.Json.Serialization;

namespace DrTools.Core.Replication;

/// <summary>Lag of one standby behind the primary; with sampling, each figure is the maximum over the window.</summary>
public sealed record ReplicationLagResult(string Standby, string Primary, DateTimeOffset StartedAt, TimeSpan Window, Measurement LagBytes,
    Measurement ReplayLagSeconds, Measurement? HeartbeatLagSeconds)
{
    /// <summary>Every figure measured for this standby (the heartbeat lag only when it was measured, the link's idle time where the engine
    /// reports it).</summary>
    [JsonIgnore] public IReadOnlyList<Measurement> Figures => new[] { LagBytes, ReplayLagSeconds, HeartbeatLagSeconds,
        LinkIdleSeconds }.OfType<Measurement>().ToList();

    /// <summary>Redis: how long the replication link has been quiet (no data, no ping) — shown apart, never a lag threshold's.</summary>
    public Measurement? LinkIdleSeconds { get; init; }

    public bool Met => Figures.All(m => m.Met != false);

    /// <summary>The store: postgresql, mariadb or redis.</summary>
    public string Engine { get; init; } = Engines.StoreEngines.PostgreSql;
}
