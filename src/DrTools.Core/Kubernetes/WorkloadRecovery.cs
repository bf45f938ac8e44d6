namespace DrTools.Core.Kubernetes;

/// <summary>
/// How every Kubernetes drill measures: the watch of the workload's pods from the version read before acting, the HTTP probe beside
/// it, the drill's action, then the recovery to every replica ready that the drill's own test confirms, on one monotonic
/// clock; past the timeout the recovery time is a lower bound.
/// </summary>
internal static class WorkloadRecovery
{
    /// <param name="act">Acts (deletes, evicts, takes a node away) and returns the pods it took.</param>
    /// <param name="counts">Whether a ready pod counts toward the recovery, given the pods taken.</param>
    /// <param name="recovered">The timeline's moment when it did, e.g. "every replica ready again, none on node-2".</param>
    /// <param name="how">How the recovery time was measured, from what to what, for its method.</param>
    public static async Task<DrillOutcome> MeasureAsync(DrillSession session, KubernetesDrillOptions options,
        Func<ReplicaWatch, CancellationToken, Task<IReadOnlyList<PodState>>> act, Func<IReadOnlyList<PodState>, PodState, bool> counts,
        Func<IReadOnlyList<PodState>, string> recovered, string how, CancellationToken cancellationToken)
    {
        options.Check();
        var (client, target, requests) = (session.Client, session.Target, session.Requests);
        var workload = await Workloads.ReadPodsAsync(client, target, cancellationToken);
        var clock = new MonotonicClock();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(options.Watched);
        // The watch has a client, so a connection, of its own: sharing the drill's HTTP/2 connection, its events arrived 15–28 ms
        // late behind the drill's own requests (measured against kubectl's watch).
        var watching = new RequestCount();
        using var watchClient = target.Connect(watching);
        await using var watch = ReplicaWatch.Start(watchClient, target, workload, clock, watching.WatchLines, stop.Token);
        await using var probe = options.HttpProbe is { } http ? Probes.HttpProbe.Start(http, clock) : null;
        await watching.WatchOpened.WaitAsync(TimeSpan.FromSeconds(30), stop.Token);
        var (readsBefore, writesBefore) = (requests.Reads, requests.Writes);
        var start = clock.Elapsed;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var taken = new List<PodState>();
        TimeSpan? back = null;
        try
        {
            taken.AddRange(await act(watch, stop.Token));
            back = await watch.UntilRecoveredAsync(start, async token =>
                (await WorkloadStatus.PodsAsync(client, target, workload.Selector, token)).Count(p => p.Ready && !p.Terminating
                    && counts(taken, p)) >= await DesiredNowAsync(session, workload, token), stop.Token);
            watch.Mark(recovered(taken));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The timeout: what was seen so far is a lower bound.
        }
        var end = back ?? clock.Elapsed;
        var after = await WorkloadStatus.PodsAsync(client, target, workload.Selector, cancellationToken);
        var capacity = watch.Capacity(options.MinReady, end);
        return new DrillOutcome(taken,
            // A pod made again that no node took says why (the scheduler's reason).
            after.Where(p => session.Before.Pods.All(b => b.Uid != p.Uid))
                .Select(p => $"{p.Name} on {p.Node ?? $"no node{(p.Waiting is null ? "" : $" ({p.Waiting})")}"}").ToList(),
            // Without an RTO the timeout is the target: a workload that never came back fails the drill, whatever it was held to.
            new Measurement("recovery time", (end - start).TotalSeconds, "s", (options.Rto ?? options.Watched).TotalSeconds,
                $"{how}, on the drill's monotonic clock"
                + (options.Rto is null ? "; held to the drill's timeout, as no RTO was given" : ""))
            {
                MoreThan = back is null,
            },
            capacity.Lowest, capacity.Below, watch.Timeline(),
            new ApiRequests(requests.Reads - readsBefore, requests.Writes - writesBefore, end - start),
            probe is null ? null : await probe.StopAsync(), clock.Origin, started);
    }

    /// <summary>
    /// The replicas the workload must have ready to be recovered: as many as when the drill began, or more when it was
    /// scaled up since (an autoscaler's new pods are not the lost ones made again). A label selector has no spec to read.
    /// </summary>
    private static async Task<int> DesiredNowAsync(DrillSession session, WorkloadReading before, CancellationToken cancellationToken)
    {
        if (session.Target.Kind == WorkloadKind.Selector) return before.Desired;
        return Math.Max(before.Desired, (await Workloads.ReadAsync(session.Client, session.Target, cancellationToken)).Desired);
    }
}
