namespace DrTools.Core.Runbooks;

/// <summary>What an objective measures: its unit, its name in reports, and how several steps' figures combine.</summary>
public sealed record ObjectiveKind(string Name, string Unit, string Display, string Measures, bool Summed)
{
    /// <summary>A floor: met when the figure is at least the target, the smallest of several steps' figures counting.</summary>
    public bool Floor { get; init; }

    public static readonly IReadOnlyList<ObjectiveKind> All =
    [
        new("rto", "s", "recovery time (RTO)", "a recovery time", Summed: true),
        new("rpo", "s", "recovery point (RPO): window of lost writes", "data loss", Summed: false),
        new("maxErrorRate", "%", "HTTP error rate", "an HTTP error rate (httpProbe:)", Summed: false),
        new("p99", "ms", "HTTP latency p99", "HTTP latency (httpProbe:)", Summed: false),
        new("alert", "s", "time to alert", "a time to alert (expectAlert:)", Summed: false),
        new("minReady", "replicas", "fewest ready replicas", "a count of ready replicas (Kubernetes drills)", Summed: false)
        {
            Floor = true,
        },
    ];

    public static ObjectiveKind Of(string name) => All.Single(k => k.Name == name);
}
