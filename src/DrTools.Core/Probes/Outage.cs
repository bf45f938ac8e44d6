namespace DrTools.Core.Probes;

/// <summary>
/// An outage as a probe's clients saw it, the write-unavailability window: from the last acknowledgement of any client
/// before the first failed attempt of any client after the fault to the first acknowledgement of any client after the
/// last failure was seen (the failures: in a gap between one client's consecutive acknowledgements, counted from its last
/// one before the fault; after its last one, when the attempts after it all failed). When no attempt failed, or when a
/// write hung longer than that and then went through, the window covers that too. LastBefore is null when the window
/// starts at the fault; FirstAfter is null when it has no end (nothing was acknowledged after the last failure).
/// </summary>
public sealed record Outage(TimeSpan Fault, ProbeSample? LastBefore, ProbeSample? FirstAfter, int FailedAttempts)
{
    public TimeSpan? Duration => FirstAfter?.Acknowledged - (LastBefore?.Acknowledged ?? Fault);

    /// <summary>Attempts sent in the window by every client; <see cref="FailedAttempts"/> of them failed or were indeterminate.</summary>
    public int Attempts { get; init; }

    /// <summary>
    /// The longest gap between one client's consecutive acknowledgements (to its last attempt when none followed): one
    /// client's experience at its own rate, so up to one client's interval longer than the window at each edge.
    /// </summary>
    public TimeSpan LongestGap { get; init; }

    /// <summary>
    /// When the window is a stall (a stretch in which no client had a write acknowledged) that outlasted the failures: the
    /// failures' own window it replaced (zero when nothing failed); null when the window is the failures'.
    /// </summary>
    public TimeSpan? StallOver { get; init; }

    /// <summary>The longest stretch in the window in which no client had an attempt acknowledged, when not the window itself.</summary>
    public Silence? Silence { get; init; }

    /// <summary>
    /// Of <see cref="FailedAttempts"/>, those another member than the final primary acknowledged once it was one: split-brain
    /// writes, which the application lost or will lose, counted as failed.
    /// </summary>
    public int SplitBrainAttempts { get; init; }

    /// <summary>The clients with a failed attempt in the window.</summary>
    public IReadOnlyList<int> FailedClients { get; init; } = [];

    /// <summary>Failed attempts in percent of the attempts sent in the window (0 when none was).</summary>
    public double ErrorRate => Attempts == 0 ? 0 : 100.0 * FailedAttempts / Attempts;

    /// <summary>
    /// The figure: the duration, or when nothing was acknowledged after the silence began, from its start to the last
    /// attempt of <paramref name="samples"/> (a lower bound: the outage lasted at least until the probe stopped).
    /// </summary>
    public TimeSpan Measured(IReadOnlyList<ProbeSample> samples) =>
        Duration ?? (samples.Count == 0 ? Fault : samples.Max(s => s.Sent)) - (LastBefore?.Acknowledged ?? Fault);
}
