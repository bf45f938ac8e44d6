using k8s;

namespace DrTools.Core.Kubernetes;

/// <summary>
/// A workload's ready replicas as the watch of its pods reports them (ready and not terminating), read in the background
/// from the version a drill read before acting (so no change after it is missed), each change timed on the drill's clock
/// when it arrives: the fewest ready, how long below the desired count, and the timeline.
/// </summary>
internal sealed class ReplicaWatch : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop;
    private readonly MonotonicClock _clock;
    private readonly List<WorkloadEvent> _timeline = [];
    private readonly Task _reading;
    private readonly LineArrivals _arrivals;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TimeSpan? _belowSince;
    private TimeSpan _below;
    private Exception? _failed;

    private ReplicaWatch(IKubernetes client, KubernetesTarget target, WorkloadReading read, MonotonicClock clock, LineArrivals arrivals,
        CancellationToken cancellationToken)
    {
        (Desired, Ready, Lowest, _clock, _arrivals) = (read.Desired, read.Ready, read.Ready, clock, arrivals);
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _reading = ReadAsync(client, target, read);
    }

    public int Desired { get; }

    /// <summary>The ready count of the latest event, and when it arrived.</summary>
    public int Ready { get; private set; }
    public TimeSpan ReadyAt { get; private set; }

    /// <summary>The fewest ready replicas any event reported.</summary>
    public int Lowest { get; private set; }

    /// <param name="arrivals">When the lines of the client's watch arrived: each event is timed by its line's arrival.</param>
    public static ReplicaWatch Start(IKubernetes client, KubernetesTarget target, WorkloadReading read, MonotonicClock clock,
        LineArrivals arrivals, CancellationToken cancellationToken) =>
        new(client, target, read, clock, arrivals, cancellationToken);

    /// <summary>How long the workload was below its desired count, up to <paramref name="end"/>.</summary>
    public TimeSpan BelowDesired(TimeSpan end)
    {
        lock (_gate) return _below + (_belowSince is { } since ? end - since : TimeSpan.Zero);
    }

    /// <summary>
    /// The capacity figures up to <paramref name="end"/>: the fewest ready, held to <paramref name="minReady"/> (a floor),
    /// and the time below the desired count.
    /// </summary>
    public (Measurement Lowest, Measurement Below) Capacity(int? minReady, TimeSpan end) =>
    (
        new Measurement("lowest ready replicas", Lowest, "replicas", minReady,
            $"the fewest of the workload's pods ready and not terminating in the pod watch's events, of {Desired} "
                + "desired") { AtLeast = true },
        new Measurement("time below the desired replicas", BelowDesired(end).TotalSeconds, "s", null,
            "summed from the pod watch's events (each timed when its line arrived) with fewer pods ready and not "
                + "terminating than desired")
    );

    /// <summary>Returns at the next event, or after <paramref name="most"/>; throws when the watch failed.</summary>
    public async Task WaitForChangeAsync(TimeSpan most, CancellationToken cancellationToken)
    {
        Task changed;
        lock (_gate) changed = _changed.Task;
        await Task.WhenAny(changed, Task.Delay(most, cancellationToken));
        cancellationToken.ThrowIfCancellationRequested();
        if (_failed is { } failed) throw failed;
    }

    /// <summary>
    /// When the first event after <paramref name="after"/> with every replica ready arrived that <paramref name="holds"/>
    /// confirms (asked once per such event). Runs until that, or until <paramref name="cancellationToken"/> cancels.
    /// </summary>
    public async Task<TimeSpan> UntilRecoveredAsync(TimeSpan after, Func<CancellationToken, Task<bool>> holds,
        CancellationToken cancellationToken)
    {
        var asked = TimeSpan.MinValue;
        while (true)
        {
            int ready;
            TimeSpan at;
            lock (_gate) (ready, at) = (Ready, ReadyAt);
            if (ready >= Desired && at > after && at != asked)
            {
                asked = at;
                if (await holds(cancellationToken)) return at;
            }
            await WaitForChangeAsync(TimeSpan.FromSeconds(5), cancellationToken);
        }
    }

    /// <summary>
    /// The timeline so far, in time order: a request's moment is when it was sent, and the watch may report its effect
    /// before it returned. A copy taken under the watch's lock, which goes on adding to it.
    /// </summary>
    public IReadOnlyList<WorkloadEvent> Timeline()
    {
        lock (_gate) return [.. _timeline.OrderBy(e => e.At)];
    }

    /// <summary>The drill's clock now: a request's moment is when it was sent.</summary>
    public TimeSpan Now => _clock.Elapsed;

    /// <summary>Adds a moment to the timeline, timed <paramref name="at"/> (a request sent), else now.</summary>
    public void Mark(string what, TimeSpan? at = null)
    {
        var moment = at ?? _clock.Elapsed;
        lock (_gate) _timeline.Add(new(moment, what));
    }

    private async Task ReadAsync(IKubernetes client, KubernetesTarget target, WorkloadReading read)
    {
        try
        {
            await foreach (var seen in SelectedPods.WatchAsync(client, target, read, _stop.Token))
            {
                // One event a line: its line's arrival, else (a client that does not time them) now.
                var at = _arrivals.TryTake(out var arrived) ? _clock.ReadingAt(arrived) : _clock.Elapsed;
                TaskCompletionSource changed;
                lock (_gate)
                {
                    // Only a change of the count is a moment: the object also changes for what DrTools does not measure.
                    if (seen.Ready != Ready) _timeline.Add(new(at, $"{seen.Ready}/{Desired} ready"));
                    (Ready, ReadyAt, Lowest) = (seen.Ready, at, Math.Min(Lowest, seen.Ready));
                    if (seen.Ready < Desired) _belowSince ??= at;
                    else if (_belowSince is { } since)
                    {
                        _below += at - since;
                        _belowSince = null;
                    }
                    (changed, _changed) = (_changed, new(TaskCreationOptions.RunContinuationsAsynchronously));
                }
                changed.SetResult();
            }
            _failed = new DrToolsException($"{target.Name}: the API server ended the watch of the workload's pods.",
                DrErrorKind.ConnectionFailed);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or k8s.Autorest.HttpOperationException
            or k8s.KubernetesException)
        {
            _failed = new DrToolsException($"{target.Name}: the watch of the workload's pods failed: {e.Message}",
                DrErrorKind.ConnectionFailed, e);
        }
        lock (_gate) _changed.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reading;
        _stop.Dispose();
    }
}
