namespace DrTools.Core.Probes;

/// <summary>A wait for the topology to settle: each poll's missing condition, kept as stretches on the drill's clock.</summary>
internal sealed class SettlingWait(MonotonicClock clock)
{
    private readonly List<SettlingHold> _holds = [];
    public TimeSpan Began { get; } = clock.Elapsed;
    // Whether the last poll found a condition: a relapse after a poll that found none is a stretch of its own.
    private bool _holding;

    /// <summary>
    /// One poll's finding, read at <paramref name="at"/>: what is missing, or null once settled. A condition is one stretch
    /// while polls keep finding it; the next condition (or the settling) ends it.
    /// </summary>
    public void Saw(string? unsettled, TimeSpan at)
    {
        if (_holding) _holds[^1] = _holds[^1] with { To = at };
        if (unsettled is not null && (!_holding || _holds[^1].Condition != unsettled)) _holds.Add(new SettlingHold(unsettled, at, at));
        _holding = unsettled is not null;
    }

    public SettledTopology Settled(string primary) => new(primary, Began, clock.Elapsed, _holds.ToList());

    /// <summary>The wait given up after <paramref name="timeout"/>, with what still held it.</summary>
    public SettledTopology NeverSettled(string expected, string unsettled, TimeSpan timeout) =>
        Settled(expected) with { NeverSettled = $"the topology never settled within {DurationText.Format(timeout)}: {unsettled}" };
}
