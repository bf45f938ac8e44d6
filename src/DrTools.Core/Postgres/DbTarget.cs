namespace DrTools.Core.Postgres;

/// <summary>
/// The cluster an operation works on: its members, and whether destructive drills (failover, kill, restore) are
/// allowed on it. Sandboxes are allowed; anything else only when the user says so explicitly.
/// </summary>
public sealed record DbTarget(string Name, IReadOnlyList<DbMember> Members, bool AllowDrill) : Engines.IDrillTarget
{
    public Task<Cluster.ClusterStatus> GetStatusAsync(CancellationToken cancellationToken) =>
        Cluster.ClusterInspector.GetStatusAsync(this, cancellationToken);

    public Task<IReadOnlyList<Replication.ReplicationLagResult>> MeasureLagAsync(Replication.ReplicationLagOptions options,
        CancellationToken cancellationToken) => Replication.ReplicationLagTester.MeasureAsync(this, options, cancellationToken);

    public Task<DbQueryResult> QueryAsync(string query, string? member, CancellationToken cancellationToken) =>
        DbQueries.InvokeAsync(this, query, member, cancellationToken);

    public Task<Integrity.DbChecksum> TakeChecksumAsync(string? member, IReadOnlyList<string>? scope,
        CancellationToken cancellationToken) => Integrity.DbChecksums.TakeAsync(this, member, scope, cancellationToken);

    public Task<Integrity.ChecksumComparison> CompareChecksumAsync(Integrity.DbChecksum reference, string? member,
        CancellationToken cancellationToken) => Integrity.DbChecksums.CompareAsync(reference, this, member, cancellationToken);

    public string Engine => Engines.StoreEngines.PostgreSql;
    IReadOnlyList<Engines.IStoreMember> Engines.IDrillTarget.Members => Members;

    /// <summary>The HA manager that runs the cluster (Patroni …), asked for its view beside PostgreSQL's; null when there is
    /// none.</summary>
    public Cluster.IHaManager? HaManager { get; init; }

    /// <summary>The sandbox folder when the target is a sandbox: what another process reopens to undo a change DrTools made.</summary>
    public string? SandboxDirectory { get; init; }

    /// <summary>Endpoints (host:port) allowed for drills by configuration: DRTOOLS_ALLOW_DRILL_ON, comma-separated.</summary>
    public static IReadOnlyList<string> ConfiguredDrillTargets =>
        (Environment.GetEnvironmentVariable("DRTOOLS_ALLOW_DRILL_ON") ?? "").Split(',',
            StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// A cluster given by connection strings. It is allowed for drills only when every member's endpoint is named in
    /// <paramref name="allowDrillOn"/> or in DRTOOLS_ALLOW_DRILL_ON: a drill kills and promotes, so the user must name each server.
    /// </summary>
    public static DbTarget FromConnectionStrings(IReadOnlyList<string> connectionStrings, string? userName = null, string? password = null,
        TimeSpan? connectTimeout = null, IReadOnlyCollection<string>? allowDrillOn = null)
    {
        if (connectionStrings.Count == 0)
        {
            throw new DrToolsException("no members given: pass at least one connection string.", DrErrorKind.InvalidArgument);
        }
        var members = connectionStrings.Select((text, index) => DbMember.Parse(text, index + 1, userName: userName, password: password,
            connectTimeout: connectTimeout)).ToList();
        Engines.DrillTargets.RefuseDuplicates(members);
        var allowDrill = Engines.DrillTargets.AllowedByName(members, allowDrillOn, 5432);
        return new DbTarget(string.Join(",", members.Select(m => m.Endpoint)), members, allowDrill);
    }

    public DbMember Member(string nameOrEndpoint) =>
        Members.FirstOrDefault(m => m.Name == nameOrEndpoint || m.Endpoint == nameOrEndpoint)
        ?? throw new DrToolsException($"'{nameOrEndpoint}' is not a member of {Name} (members: "
            + $"{string.Join(", ", Members.Select(m => m.Display))}).", DrErrorKind.InvalidArgument);

    public Task<IAsyncDisposable> LockDrillsAsync(string holder, CancellationToken cancellationToken) =>
        PostgresDrillLock.AcquireAsync(this, cancellationToken);

    /// <summary>Refuses a destructive operation on a target not allowed for drills.</summary>
    public void DemandDrillAllowed(string operation) => Engines.DrillTargets.DemandDrillAllowed(this, operation);
}
