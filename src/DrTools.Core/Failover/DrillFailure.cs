using DrTools.Core.Probes;

namespace DrTools.Core.Failover;

/// <summary>A drill that ends with an error: what its probes observed until then, for the run that records it.</summary>
internal static class DrillFailure
{
    private const string TimelineKey = "DrTools.DrillTimeline";

    /// <summary>
    /// Stops the probes and gives <paramref name="failure"/> the drill's history until now, so a run writes history.jsonl all
    /// the same: every operation observed, the fault when it was issued, and the error where the final read would be.
    /// </summary>
    public static async Task<Exception> WithHistoryAsync(Exception failure, Guid runId, Probe writes, Probe reads, Timeline timeline,
        MonotonicClock clock)
    {
        var (written, read) = (await writes.StopAsync(), await reads.StopAsync());
        // Its journal and reports say which member was chosen, promoted or rewound before it failed.
        failure.Data[TimelineKey] = new FailedTimeline(timeline.Events, clock.Origin);
        return ProbeHistory.Attach(failure,
            ProbeHistory.Unfinished(runId, written, read, FailoverFigures.Nemesis(timeline), clock.Elapsed, failure.Message));
    }

    /// <summary>The timeline a drill's failure carries (as thrown or wrapped by another exception), or null.</summary>
    public static FailedTimeline? TimelineOf(Exception failure) =>
        failure.Data[TimelineKey] as FailedTimeline
        ?? (failure is AggregateException all ? all.InnerExceptions.Select(TimelineOf).FirstOrDefault(t => t is not null) : null)
        ?? (failure.InnerException is { } inner ? TimelineOf(inner) : null);
}
