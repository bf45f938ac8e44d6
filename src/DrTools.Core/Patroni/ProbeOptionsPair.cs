using DrTools.Core.Cluster;
using DrTools.Core.Failover;
using DrTools.Core.Postgres;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;
using Npgsql;

namespace DrTools.Core.Patroni;

/// <summary>The write and the read probe of a drill.</summary>
internal sealed record ProbeOptionsPair(Probes.ProbeOptions Write, Probes.ProbeOptions Read);
