using DrTools.Core.Postgres;

namespace DrTools.Core.Sandboxes;

public sealed record SandboxOptions
{
    public const int MaxStandbys = 8;

    public int Standbys { get; init; } = 1;
    public bool Synchronous { get; init; }
    /// <summary>Where sandbox directories are made; default <see cref="Sandbox.DefaultRoot"/>.</summary>
    public string? Root { get; init; }
    /// <summary>Leave it running after this process exits (drtools sandbox up); otherwise it is recorded as owned by this
    /// process.</summary>
    public bool Persistent { get; init; }
    public PgBinaries? Binaries { get; init; }
    /// <summary>Told of each phase of creation.</summary>
    public IProgress<OperationProgress>? Progress { get; init; }
    public SandboxTopology Topology { get; init; } = SandboxTopology.Streaming;
    /// <summary>For a Patroni sandbox: its DCS settings (default Patroni's own: ttl 30, loop_wait 10).</summary>
    public Patroni.PatroniSettings? PatroniSettings { get; init; }
    /// <summary>Every member's client and replication traffic through DrTools' fault proxy, so Latency, Jitter, Bandwidth, ResetConnections
    /// and Blackhole apply to it.</summary>
    public bool FaultProxy { get; init; }
    /// <summary>Each member's pg_wal on a tmpfs of this many bytes that DrTools mounts (root), so a DiskFull fault can fill it.</summary>
    public long? WalDiskSize { get; init; }
    /// <summary>A postgres_exporter per member, DrTools' metrics, a Prometheus with alerting rules and an Alertmanager notifying DrTools
    /// (Debian's prometheus packages).</summary>
    public bool Monitoring { get; init; }
    /// <summary>The store: postgresql (the default), mariadb or redis.</summary>
    public string Engine { get; init; } = Engines.StoreEngines.PostgreSql;
    /// <summary>For a Redis sandbox: three Sentinels watching the primary, which then fail it over themselves.</summary>
    public bool Sentinels { get; init; }

    /// <summary>
    /// Refuses, before anything is created, what only PostgreSQL's sandboxes have (and Sentinels, unless
    /// <paramref name="sentinels"/>): for a store whose engine builds a primary and replicas.
    /// </summary>
    internal void RefuseBeyondReplicas(string displayName, bool sentinels)
    {
        var unsupported = new[]
        {
            Topology == SandboxTopology.Patroni ? "a Patroni topology" : null,
            FaultProxy ? "a fault proxy" : null,
            WalDiskSize is not null ? "a WAL disk" : null,
            Monitoring ? "monitoring" : null,
            Sentinels && !sentinels ? "Sentinels (they are Redis')" : null,
        }.OfType<string>().ToList();
        if (unsupported.Count > 0)
        {
            throw new DrToolsException($"a {displayName} sandbox has no {string.Join(", ", unsupported)} (PostgreSQL sandboxes do). "
                + $"Nothing was created.", DrErrorKind.InvalidArgument);
        }
        if (Synchronous && Standbys == 0) throw new DrToolsException("synchronous replication needs at least one replica.",
            DrErrorKind.InvalidArgument);
    }
}
