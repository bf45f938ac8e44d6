using DrTools.Core.Cluster;
using DrTools.Core.Integrity;
using DrTools.Core.Postgres;
using DrTools.Core.Replication;

namespace DrTools.Core.Engines;

/// <summary>
/// The operations every store answers, whatever its engine: cmdlets, the CLI and runbooks call these with the target
/// they resolved, and PostgreSQL's own code or the engine's <see cref="IReplicaSet"/> does the work.
/// </summary>
public static class Stores
{
    /// <summary>A cluster of <paramref name="engine"/> given by one connection string (or Redis address) per member.</summary>
    public static IDrillTarget FromConnectionStrings(string engine, IReadOnlyList<string> connectionStrings, string? userName = null, string? password = null, TimeSpan? connectTimeout = null,
        IReadOnlyCollection<string>? allowDrillOn = null) =>
        StoreEngines.Get(StoreEngines.Parse(engine)) is { } other
            ? other.FromConnectionStrings(connectionStrings, userName, password, connectTimeout, allowDrillOn)
            : DbTarget.FromConnectionStrings(connectionStrings, userName, password, connectTimeout, allowDrillOn);

    public static Task<ClusterStatus> GetStatusAsync(IDrillTarget target, CancellationToken cancellationToken) => target switch
    {
        DbTarget postgres => ClusterInspector.GetStatusAsync(postgres, cancellationToken),
        IReplicaSet store => store.GetStatusAsync(cancellationToken),
        _ => throw Unknown(target),
    };

    public static Task<IReadOnlyList<ReplicationLagResult>> MeasureLagAsync(IDrillTarget target, ReplicationLagOptions options, CancellationToken cancellationToken) => target switch
    {
        DbTarget postgres => ReplicationLagTester.MeasureAsync(postgres, options, cancellationToken),
        IReplicaSet store => StoreLag.MeasureAsync(store, options, cancellationToken),
        _ => throw Unknown(target),
    };

    /// <summary>Checksums one member: the one named, or the primary.</summary>
    public static async Task<DbChecksum> ChecksumAsync(IDrillTarget target, string? member, IReadOnlyList<string>? scope, CancellationToken cancellationToken)
    {
        switch (target)
        {
            case DbTarget postgres:
                return await DbChecksums.TakeAsync(postgres, member, scope, cancellationToken);
            case IReplicaSet store:
                var name = member ?? (await store.GetStatusAsync(cancellationToken)).Primary?.Name
                    ?? throw new DrToolsException($"checksum of {store.Name}: no single primary to read; name a member.", DrErrorKind.InvalidOperation);
                if (store.Members.All(m => m.Name != name && m.Endpoint != name))
                {
                    throw new DrToolsException($"'{name}' is not a member of {store.Name} (members: {string.Join(", ", store.Members.Select(m => m.Display))}).", DrErrorKind.InvalidArgument);
                }
                return await store.ChecksumAsync(store.Members.First(m => m.Name == name || m.Endpoint == name).Name, scope, cancellationToken);
            default:
                throw Unknown(target);
        }
    }

    /// <summary>The drill of a store other than PostgreSQL; what only PostgreSQL's drills take is refused by name.</summary>
    public static Failover.IRecovery Recovery(IReplicaSet store, Failover.RecoveredBy? recoveredBy, IEnumerable<(string Option, bool Given)> postgresOnly)
    {
        var given = postgresOnly.Where(o => o.Given).Select(o => o.Option).ToList();
        if (given.Count > 0) throw new DrToolsException($"{string.Join(", ", given)}: for PostgreSQL drills only; {store.Name} is a {store.Engine} cluster. Nothing was changed.", DrErrorKind.InvalidArgument);
        return store.Recovery(recoveredBy);
    }

    private static DrToolsException Unknown(IDrillTarget target) => new($"{target.Name}: no operations for engine '{target.Engine}'.", DrErrorKind.InvalidArgument);
}
