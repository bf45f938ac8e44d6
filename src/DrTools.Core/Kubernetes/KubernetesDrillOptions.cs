namespace DrTools.Core.Kubernetes;

/// <summary>
/// What a Kubernetes drill is held to and how long it watches: the recovery-time objective, the fewest ready replicas
/// allowed, the timeout past which the recovery time is a lower bound, and an HTTP probe of the application's URL (a
/// Service's or an Ingress's) run beside it when the user gives one.
/// </summary>
public sealed record KubernetesDrillOptions
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    public TimeSpan? Rto { get; init; }
    public int? MinReady { get; init; }
    public TimeSpan Timeout { get; init; } = DefaultTimeout;
    public Probes.HttpProbeOptions? HttpProbe { get; init; }
}
