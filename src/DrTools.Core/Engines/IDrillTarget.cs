namespace DrTools.Core.Engines;

/// <summary>A cluster of any store as drills name and guard it: what it is called, its engine, and whether destructive drills are allowed
/// on it.</summary>
public interface IDrillTarget
{
    string Name { get; }
    /// <summary>The store's engine name: postgresql, mariadb, redis.</summary>
    string Engine { get; }
    bool AllowDrill { get; }
    IReadOnlyList<IStoreMember> Members { get; }

    /// <summary>
    /// Takes the drill lock on this cluster's servers, so that drills from any machine exclude each other, or refuses
    /// naming the drill that holds it (see <see cref="Failover.DrillLock"/>). Held until disposed or this process ends.
    /// </summary>
    Task<IAsyncDisposable> LockDrillsAsync(string holder, CancellationToken cancellationToken);

    /// <summary>Every member's role and position, and what is wrong, naming the member; healthy when nothing is.</summary>
    Task<Cluster.ClusterStatus> GetStatusAsync(CancellationToken cancellationToken);

    /// <summary>Every replica's lag behind the primary, sampled as <paramref name="options"/> say.</summary>
    Task<IReadOnlyList<Replication.ReplicationLagResult>> MeasureLagAsync(Replication.ReplicationLagOptions options,
        CancellationToken cancellationToken);

    /// <summary>Runs statements (SQL; for Redis one command a line) on the named member, default the primary: a drill's setup, data and
    /// markers.</summary>
    Task<Postgres.DbQueryResult> QueryAsync(string query, string? member, CancellationToken cancellationToken);

    /// <summary>The checksum of one member's data in scope: the member named, or the primary.</summary>
    Task<Integrity.DbChecksum> TakeChecksumAsync(string? member, IReadOnlyList<string>? scope, CancellationToken cancellationToken);

    /// <summary>
    /// Checksums the named member or the primary now and compares with the reference (PostgreSQL: its tables, each the
    /// same way; other stores: everything in scope, so that an added table or key pattern shows).
    /// </summary>
    Task<Integrity.ChecksumComparison> CompareChecksumAsync(Integrity.DbChecksum reference, string? member,
        CancellationToken cancellationToken);
}

public static class DrillTargets
{
    /// <summary>Refuses a destructive operation on a target not allowed for drills.</summary>
    public static void DemandDrillAllowed(this IDrillTarget target, string operation)
    {
        if (!target.AllowDrill)
        {
            throw new DrToolsException($"{operation} refused: {target.Name} is not allowed for drills. Sandboxes are; for any other "
                + $"cluster name every member explicitly (-AllowDrillOn / --allow-drill-on host:port, or DRTOOLS_ALLOW_DRILL_ON). Nothing "
                + $"was changed.", DrErrorKind.NotAllowed);
        }
    }

    /// <summary>
    /// Whether every member's endpoint is named in <paramref name="allowDrillOn"/> or DRTOOLS_ALLOW_DRILL_ON (an entry
    /// without a port means <paramref name="defaultPort"/>): a drill kills and promotes, so the user must name each server.
    /// </summary>
    public static bool AllowedByName(IEnumerable<IStoreMember> members, IReadOnlyCollection<string>? allowDrillOn, int defaultPort)
    {
        var allowed = (allowDrillOn ?? []).Concat(Postgres.DbTarget.ConfiguredDrillTargets).ToList();
        return members.All(m => allowed.Any(a => Cluster.ClusterInspector.SameEndpoint(a.Contains(':') ? a : $"{a}:{defaultPort}",
            m.Endpoint)));
    }

    /// <summary>Refuses a member given twice: a drill would count it twice.</summary>
    public static void RefuseDuplicates(IEnumerable<IStoreMember> members)
    {
        if (members.GroupBy(m => m.Endpoint).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
        {
            throw new DrToolsException($"member {duplicate.Key} is given more than once.", DrErrorKind.InvalidArgument);
        }
    }
}

/// <summary>A member of a store's cluster as drills and reports name it.</summary>
public interface IStoreMember
{
    string Name { get; }
    /// <summary>host:port.</summary>
    string Endpoint { get; }
    /// <summary>The name, with the endpoint when they differ.</summary>
    string Display { get; }
}

/// <summary>A member reached at host:port, named in messages as "node1 (127.0.0.1:5433)", or by its endpoint alone.</summary>
public abstract class StoreMember(string name, string host, int port) : IStoreMember
{
    public string Name { get; } = name;
    public string Host { get; } = host;
    public int Port { get; } = port;
    public string Endpoint => $"{Host}:{Port}";
    public string Display => Name == Endpoint ? Name : $"{Name} ({Endpoint})";
    public override string ToString() => Display;
}
