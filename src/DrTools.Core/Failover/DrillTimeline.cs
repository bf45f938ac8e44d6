namespace DrTools.Core.Failover;

/// <summary>A drill's events on its monotonic clock, kept in order.</summary>
internal sealed class Timeline(MonotonicClock clock)
{
    private readonly List<DrillEvent> _events = [];

    public IReadOnlyList<DrillEvent> Events => _events.OrderBy(e => e.At).ToList();

    public void Mark(string name, string? detail = null, TimeSpan? when = null)
    {
        var at = when ?? clock.Elapsed;
        _events.Add(new DrillEvent(name, at, clock.WallTime(at), detail));
    }
}
