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

    /// <summary>The timeout the user gave; null: <see cref="Watched"/> picks one.</summary>
    public TimeSpan? Timeout { get; init; }

    public Probes.HttpProbeOptions? HttpProbe { get; init; }

    /// <summary>How long the drill watches for the recovery: the timeout given, else 5 minutes or the RTO when longer.</summary>
    public TimeSpan Watched => Timeout ?? (Rto is { } rto && rto > DefaultTimeout ? rto : DefaultTimeout);

    /// <summary>
    /// Refuses a timeout shorter than the RTO before anything changes: a recovery between the two could be told neither
    /// met nor missed, and the figure would say NOT met for a workload that was not given its RTO.
    /// </summary>
    public void Check()
    {
        if (Timeout is { } timeout && Rto is { } rto && timeout < rto)
        {
            throw new DrToolsException($"timeout {DurationText.Format(timeout)} is shorter than the RTO {DurationText.Format(rto)}: "
                + "a recovery between the two could be told neither met nor missed; give a timeout of at least the RTO, or none "
                + "(it is then 5 minutes, or the RTO when longer).", DrErrorKind.InvalidArgument);
        }
    }
}
