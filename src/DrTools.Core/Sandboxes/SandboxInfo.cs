namespace DrTools.Core.Sandboxes;

/// <summary>A sandbox (or run scratch folder) as found on disk: what <c>drtools sandbox list</c> and Get-DrSandbox show.</summary>
public sealed record SandboxInfo(string Id, string Directory, DateTimeOffset? CreatedAt, int? OwnerPid, bool Synchronous,
    IReadOnlyList<SandboxMemberInfo> Members, SandboxState State)
{
    public SandboxKind Kind { get; init; } = SandboxKind.Cluster;
    /// <summary>The store: postgresql, mariadb or redis.</summary>
    public string Engine { get; init; } = Engines.StoreEngines.PostgreSql;
    /// <summary>Why a folder is not a sandbox, or what a run scratch folder belonged to.</summary>
    public string? Note { get; init; }
    /// <summary>How the members are arranged: "primary + 2 standbys, synchronous", "Patroni, 3 nodes"; null for no cluster.</summary>
    public string? Topology { get; init; }
}
