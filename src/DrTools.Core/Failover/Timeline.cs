namespace DrTools.Core.Failover;

/// <summary>A drill's events on its monotonic clock, kept in order.</summary>
internal sealed class Timeline(MonotonicClock clock)
{
    /// <summary>An unplanned fault: issued is read before it is sent (the figures count from there), completed once it returned.</summary>
    public const string FaultIssued = "fault issued", FaultCompleted = "fault completed";

    /// <summary>The events that start what a drill measures: the fault issued, or the switchover's stop, fence or request.</summary>
    private static readonly string[] Starts = [FaultIssued, "primary stop requested", "primary fence requested", "switchover requested"];

    private readonly List<DrillEvent> _events = [];

    public static DrillEvent? Start(IEnumerable<DrillEvent> events) => events.FirstOrDefault(e => Starts.Contains(e.Name));

    public IReadOnlyList<DrillEvent> Events => _events.OrderBy(e => e.At).ToList();

    public void Mark(string name, string? detail = null, TimeSpan? when = null)
    {
        var at = when ?? clock.Elapsed;
        _events.Add(new DrillEvent(name, at, clock.WallTime(at), detail));
    }

    /// <summary>Two members that said they were the primary at once, from when to when (nothing when they never did).</summary>
    public void MarkSplitBrain(Probes.SplitBrainWindow? split)
    {
        if (split is null) return;
        Mark("two members said they were the primary", string.Join(" and ", split.Members), split.From);
        if (split.Ongoing) Mark("still two primaries when the role watch stopped", string.Join(" and ", split.Members), split.To);
        else Mark("one primary again", null, split.To);
    }
}
