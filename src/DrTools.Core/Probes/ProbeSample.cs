namespace DrTools.Core.Probes;

/// <summary>
/// One probe attempt: when it was sent and acknowledged on the drill's monotonic clock, and where it landed.
/// Indeterminate: it may or may not have taken effect (no answer within the attempt's timeout, the connection lost
/// after the statement was sent, or <see cref="Stopped"/>); a failure that is not indeterminate certainly did not.
/// </summary>
public sealed record ProbeSample(long Sequence, TimeSpan Sent, TimeSpan? Acknowledged, string? Host, string? Error,
    bool Indeterminate = false)
{
    public bool Succeeded => Acknowledged is not null;
    /// <summary>
    /// In flight when the probe stopped: whatever came back then is the stop's doing (a cancelled commit wait returns as
    /// committed), so it says nothing of the cluster, neither an acknowledgement nor a failure.
    /// </summary>
    public bool Stopped { get; init; }
    /// <summary>When a failed attempt's failure was seen, on the drill's clock.</summary>
    public TimeSpan? Ended { get; init; }
    /// <summary>The probe's connection the attempt used: 1 for its first, one more for each any of its clients opened since.</summary>
    public int Connection { get; init; }
    /// <summary>The probe's client that made the attempt, from 1 (0: not known, as in a history written before clients).</summary>
    public int Client { get; init; }
    /// <summary>A read's answer: the run's newest sequences (at most <see cref="Probe.ReadNewest"/>) the member had.</summary>
    public IReadOnlyList<long>? Observed { get; init; }
}
