using static DrTools.Core.Measurement;

namespace DrTools.Core.Probes;

/// <summary>One condition that kept the topology from settling, from the poll that first found it to the one that no longer did.</summary>
public sealed record SettlingHold(string Condition, TimeSpan From, TimeSpan To)
{
    public TimeSpan Duration => To - From;
}

/// <summary>
/// The topology once it held: its sole primary, when the drill began to wait for it and when it held, on the drill's clock,
/// and each condition that held it meanwhile, in order.
/// </summary>
public sealed record SettledTopology(string Primary, TimeSpan Began, TimeSpan At, IReadOnlyList<SettlingHold> Holds)
{
    /// <summary>The condition that held the settling longest (null when the topology held at the first poll).</summary>
    public SettlingHold? Longest => Holds.MaxBy(h => h.Duration);

    /// <summary>
    /// What the wait was, for the timeline: "settled at +19.2 s, 16.1 s after the wait began at +3.1 s; held longest, from
    /// +3.1 s to +19.2 s, by: client(s) 4 … had no attempt acknowledged by 127.0.0.1:5433 yet".
    /// </summary>
    public string Statement => $"settled at +{Seconds(At)} s, {Seconds(At - Began)} s after the wait began at +{Seconds(Began)} s; "
        + (Longest is { } held
            ? $"held longest, from +{Seconds(held.From)} s to +{Seconds(held.To)} s, by: {held.Condition}"
                + (Holds.Count > 1 ? $" ({Holds.Count} conditions in all, the last: {Holds[^1].Condition})" : "")
            : "nothing held it");

}
