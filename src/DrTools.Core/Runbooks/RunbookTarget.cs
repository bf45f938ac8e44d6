using DrTools.Core.Sandboxes;

namespace DrTools.Core.Runbooks;

/// <summary>A cluster the steps work on: a sandbox the run creates (and always removes), or existing members by connection
/// string.</summary>
public sealed record RunbookTarget(string Name, SandboxOptions? Sandbox, IReadOnlyList<string> ConnectionStrings, bool AllowDrill,
    SourcePosition Position)
{
    /// <summary>REST APIs of the Patroni that runs a cluster given by connection strings: its view in status, and Patroni recovers its
    /// drills.</summary>
    public IReadOnlyList<string> Patroni { get; init; } = [];
    /// <summary>The store: postgresql (the default), mariadb or redis.</summary>
    public string Engine { get; init; } = Engines.StoreEngines.PostgreSql;

    /// <summary>
    /// A Kubernetes namespace or workload (kubernetes:) instead of a database; its fields may hold ${variables}, expanded
    /// when the run sets its targets up.
    /// </summary>
    public Kubernetes.KubernetesTarget? Kubernetes { get; init; }
}
