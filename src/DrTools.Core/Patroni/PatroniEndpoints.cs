namespace DrTools.Core.Patroni;

/// <summary>Where a Patroni sandbox's parts listen, all on 127.0.0.1.</summary>
public sealed record PatroniEndpoints(string Scope, int EtcdPort, int EtcdPeerPort, int WritePort, int ReadPort, int StatsPort)
{
    public Uri EtcdUrl => new($"http://127.0.0.1:{EtcdPort}");
    /// <summary>HAProxy's statistics as CSV: which servers it routes to.</summary>
    public Uri StatsUrl => new($"http://127.0.0.1:{StatsPort}/stats;csv");
}
