using static DrTools.Core.Measurement;

namespace DrTools.Core.Probes;

/// <summary>
/// The topology once it held: its sole primary, when the drill began to wait for it and when it held, on the drill's clock,
/// and each condition that held it meanwhile, in order.
/// </summary>
public sealed record SettledTopology(string Primary, TimeSpan Began, TimeSpan At, IReadOnlyList<SettlingHold> Holds)
{
    /// <summary>
    /// Why the wait gave up at the phase timeout (null once it held): <see cref="Primary"/> is then the member the drill made
    /// the primary, and the drill is not met.
    /// </summary>
    public string? NeverSettled { get; init; }

    /// <summary>The timeline's event: what it was, and what held it (<paramref name="held"/>: who alone is the primary).</summary>
    public (string Name, string Detail) Event(string held) => NeverSettled is null
        ? ("topology settled", $"{held}; {Statement}")
        : ("topology never settled", Statement);

    /// <summary>The figure of a wait that never settled (more than the timeout: NOT met); null when it held.</summary>
    public Measurement? NeverSettledFigure(TimeSpan timeout) => NeverSettled is null ? null
        : new Measurement("time until the topology settled", (At - Began).TotalSeconds, "s", timeout.TotalSeconds,
            $"from +{Seconds(Began)} s, when the drill began to wait for one primary alone taking writes, until it gave up at "
            + $"+{Seconds(At)} s: {NeverSettled}") { MoreThan = true };

    /// <summary>The condition that held the settling longest (null when the topology held at the first poll).</summary>
    public SettlingHold? Longest => Holds.MaxBy(h => h.Duration);

    /// <summary>
    /// What the wait was, for the timeline: "settled at +19.2 s, 16.1 s after the wait began at +3.1 s; held longest, from
    /// +3.1 s to +19.2 s, by: client(s) 4 … had no attempt acknowledged by 127.0.0.1:5433 yet".
    /// </summary>
    public string Statement => (NeverSettled is { } never ? $"{never}; "
            : $"settled at +{Seconds(At)} s, {Seconds(At - Began)} s after the wait began at +{Seconds(Began)} s; ")
        + (Longest is { } held
            ? $"held longest, from +{Seconds(held.From)} s to +{Seconds(held.To)} s, by: {held.Condition}"
                + (Holds.Count > 1 ? $" ({Holds.Count} conditions in all, the last: {Holds[^1].Condition})" : "")
            : "nothing held it");

}
