using DrTools.Core.Integrity;
using DrTools.Core.Postgres;
using DrTools.Core.Probes;
using static DrTools.Core.Measurement;

namespace DrTools.Core.Failover;

/// <summary>What a drill's probes measured as a client, whoever recovered the cluster: the outages and the lost writes.</summary>
internal sealed record FailoverFigures(Measurement WriteUnavailability, Measurement ReadReconnection, Measurement LostWrites,
    Measurement DataLossWindow)
{
    /// <summary>Beside the write-unavailability window: the longest single gap and the error rate in the window.</summary>
    public IReadOnlyList<Measurement> Window { get; init; } = [];

    private static string Client(ProbeSample sample) => sample.Client == 0 ? "" : $", client {sample.Client}";

    /// <summary>
    /// Stops the probes and measures what they saw (outages, exact lost writes on the new primary, integrity), then the
    /// result; the caller adds what only it knows with <c>with</c>.
    /// </summary>
    /// <param name="followers">Wait until the other members replicate from the new primary, and judge them (DrTools recovered).</param>
    /// <param name="leftDown">Whether the drill left the old primary down (not rejoined): not waited for.</param>
    public static Task<FailoverResult> ResultAsync(DrillEnd end, string state, bool followers, bool leftDown,
        CancellationToken cancellationToken) =>
        ResultAsync(end.Plan, end.RunId, end.Clock, end.Timeline, end.Writes, end.Reads, end.Fault, end.Options, end.Start,
            end.OldPrimary.Display, end.NewPrimary.Display, state,
            new PostgresReadback(end, followers, leftDown), cancellationToken);

    /// <summary>As above for any store: what is read back comes from <paramref name="readback"/>.</summary>
    public static async Task<FailoverResult> ResultAsync(FailoverPlan plan, Guid runId, MonotonicClock clock, Timeline timeline,
        Probe writes, Probe reads, TimeSpan fault, FailoverOptions options,
        string start, string oldPrimary, string newPrimary, string state, IDrillReadback readback, CancellationToken cancellationToken)
    {
        await Settling.WaitForFlowingWritesAsync(writes, timeline, options.PhaseTimeout, cancellationToken);
        if (options.BeforeProbesStop is { } hook) await hook(cancellationToken);
        var (writeSamples, readSamples) = (await writes.StopAsync(), await reads.StopAsync());
        timeline.Mark("probes stopped");
        var final = readback.FinalPrimary;
        var readAt = clock.Elapsed;
        var present = await readback.FinalReadAsync(runId, cancellationToken);
        var history = ProbeHistory.Of(runId, writeSamples, readSamples, Nemesis(timeline, fault),
            new ProbeHistory.FinalRead(final?.Server ?? readback.FinalNode, final?.Since, readAt, clock.Elapsed, present));
        // The figures are the history checker's, so drtools history check reproduces them from the file.
        var check = ProbeHistoryChecker.Check(history);
        if (check.WriteOutage.LastBefore is { } lastWrite)
        {
            timeline.Mark("last write acknowledged before the outage", $"on {lastWrite.Host}{Client(lastWrite)}",
                lastWrite.Acknowledged);
        }
        if (check.WriteOutage.FirstAfter is { } firstWrite)
        {
            timeline.Mark("first write acknowledged after the outage", $"on {firstWrite.Host}{Client(firstWrite)}",
                firstWrite.Acknowledged);
        }
        if (check.ReadOutage.FirstAfter is { } firstRead)
        {
            timeline.Mark("first read answered after the outage", $"by {firstRead.Host}{Client(firstRead)}", firstRead.Acknowledged);
        }
        var loss = check.Loss;
        var integrity = await readback.IntegrityAsync(cancellationToken);
        var (topology, notFollowing) = readback.Followed is { } followed
            ? await Followers.WaitAsync(readback.TopologyAsync, followed, readback.LeftDown,
                [.. plan.Before.Members.Where(m => m.Divergence is not null)], options.PhaseTimeout, timeline,
                options.Progress, cancellationToken)
            : (await readback.TopologyAsync(cancellationToken), []);
        // Reading it waits out the connect timeout of a member that does not answer (a frozen one): the timeline says so.
        timeline.Mark("topology read", topology.Verdict);
        integrity = await readback.WithReplicasAsync(integrity, topology, cancellationToken);
        var figures = FromCheck(check, writes, reads, options, start);
        var unavailability = figures.WriteUnavailability;
        if (final is not null)
        {
            unavailability = unavailability with
            {
                Method = unavailability.Method + "; observed until the topology settled, the outage ends at the first write the final "
                    + $"primary {final.Server} acknowledged: writes other members acknowledged once it was primary are split-brain "
                    + "writes, not availability",
            };
        }
        return new FailoverResult
        {
            Target = plan.Target.Name,
            Engine = plan.Target.Engine,
            Mode = plan.Mode,
            RunId = runId,
            OldPrimary = oldPrimary,
            NewPrimary = newPrimary,
            StartedAt = clock.StartedAt,
            ClockOrigin = clock.Origin,
            Duration = clock.Elapsed,
            Timeline = timeline.Events,
            WriteUnavailability = unavailability,
            WindowFigures = figures.Window,
            ReadReconnection = figures.ReadReconnection,
            LostWrites = figures.LostWrites,
            DataLossWindow = figures.DataLossWindow,
            LostSequences = loss.LostSequences,
            AcknowledgedWrites = loss.Acknowledged,
            UnacknowledgedButCommitted = loss.UnacknowledgedButCommitted,
            Integrity = integrity,
            TopologyAfter = topology,
            ReplicasNotFollowing = notFollowing,
            State = notFollowing.Count == 0 ? state : $"{state}; {string.Join("; ", notFollowing)}",
            WriteSamples = writeSamples,
            ReadSamples = readSamples,
            LatencyFigures = check.Latency,
            SplitBrainFigures = check.SplitBrain is { } split
                ? [SplitBrain(check.Figure(ProbeHistoryChecker.SplitBrainWrites), split, final!)]
                : [],
            ConsistencyFigures = check.Figures.Where(f => f.Name == ProbeHistoryChecker.StaleReads)
                .Select(f => StaleReads(f, check, reads, options.MaxStaleReads)).ToList(),
            History = history,
        };
    }

    /// <summary>The fault as the history's nemesis line, when the timeline says it was issued (a drill that failed before: null).</summary>
    internal static ProbeHistory.Nemesis? Nemesis(Timeline timeline) =>
        Timeline.Start(timeline.Events) is { } start ? Nemesis(timeline, start.At) : null;

    /// <summary>
    /// The fault as the history's nemesis line: from the event that starts the figures to its completion, when the
    /// timeline has one.
    /// </summary>
    private static ProbeHistory.Nemesis Nemesis(Timeline timeline, TimeSpan fault)
    {
        var events = timeline.Events;
        var start = Timeline.Start(events);
        var completed = events.FirstOrDefault(e => e.At >= fault
            && e.Name is Timeline.FaultCompleted or "primary stopped" or "command finished");
        var what = start is null ? "the fault" : start.Detail is { } detail ? $"{start.Name}: {detail}" : start.Name;
        return new ProbeHistory.Nemesis(fault, completed?.At, what);
    }

    private static Measurement StaleReads(Measurement figure, ProbeHistoryCheck check, Probe reads, int? target) => figure with
    {
        Target = target,
        Method = $"{reads.Statement} through {reads.Path}: reads begun after a write's acknowledgement (on the drill's "
            + "monotonic clock) that did not return it, though they returned sequences as old or the member had fewer than "
            + $"{Probe.ReadNewest}; {check.StaleReads.Count} stale read(s), "
            + $"{check.NeverRead.Count} acknowledged write(s) no read returned. A replica answers behind the primary under "
            + "asynchronous replication, so reads through replicas are expected to be stale: "
            + (target is null ? "informational" : "held to the target given"),
    };

    private static Measurement SplitBrain(Measurement figure, SplitBrainWrites writes, FinalPrimary final) => figure with
    {
        Method = $"probe writes acknowledged by a member other than the final primary {final.Server} from +{Seconds(final.Since)} s "
        + "(when it was primary) on the drill's monotonic clock"
        + (writes.Count == 0 ? "" : $": by {string.Join(", ", writes.Members)}, sent from +{Seconds(writes.From!.Value)} s, "
            + $"the last acknowledged at +{Seconds(writes.To!.Value)} s; {writes.Lost} of them lost (absent from {final.Server})"),
    };

    private sealed class PostgresReadback(DrillEnd end, bool followers, bool leftDown) : IDrillReadback
    {
        public string? Followed => followers ? end.NewPrimary.Name : null;

        public string? LeftDown => leftDown ? end.OldPrimary.Name : null;

        public string FinalNode => end.NewPrimary.Endpoint;

        public Task<IReadOnlyCollection<long>> FinalReadAsync(Guid runId, CancellationToken cancellationToken) =>
            BrokenConnections.ReadAsync($"the probe rows on {end.NewPrimary.Display}",
                token => ProbeAnalysis.ProbeSequencesAsync(end.NewPrimary, runId, token), end.Options.PhaseTimeout, end.Timeline,
                cancellationToken);

        public async Task<ChecksumComparison?> IntegrityAsync(CancellationToken cancellationToken) =>
            end.Before is null ? null : DbChecksums.Compare(end.Before, await BrokenConnections.ReadAsync(
                $"the integrity checksum on {end.NewPrimary.Display}",
                token => DbChecksums.TakeAsync(end.NewPrimary, end.Options.IntegrityTables, token), end.Options.PhaseTimeout,
                end.Timeline, cancellationToken));

        public Task<Cluster.ClusterStatus> TopologyAsync(CancellationToken cancellationToken) =>
            Cluster.ClusterInspector.GetStatusAsync(end.Plan.Postgres, cancellationToken);

        public FinalPrimary? FinalPrimary => end.Final;
    }

    /// <param name="start">What the outage is counted from, for the method text ("the fault", "the stop request").</param>
    private static FailoverFigures FromCheck(ProbeHistoryCheck check, Probe writes, Probe reads, FailoverOptions options, string start)
    {
        var write = Unavailability(check.Figure(ProbeHistoryChecker.WriteUnavailability), check.WriteOutage, writes, options.WriteProbe,
            options.RtoTarget, start);
        var read = Unavailability(check.Figure(ProbeHistoryChecker.ReadReconnection), check.ReadOutage, reads, options.ReadProbe,
            options.RtoTarget, start);
        var inWindow = $"{writes.Statement} through {writes.Path} by {writes.Clients}, in the write-unavailability window of "
            + $"{Seconds(TimeSpan.FromSeconds(write.Measured))} s (the RTO figure) on the drill's monotonic clock";
        // Decided by the checker whenever the probe wrote at all (its attempts name their clients).
        var beside = check.Figures.Select(f => f.Name switch
        {
            ProbeHistoryChecker.WriteLongestGap => f with
            {
                Method = $"{writes.Statement} through {writes.Path} by {writes.Clients}: the longest gap between one client's "
                    + $"consecutive acknowledgements from its last one before {start}, on the drill's monotonic clock; shorter than the "
                    + "window when clients failed at different moments (a new connection failing while open ones wrote), up to one "
                    + "client's interval longer at each edge (the window's edges are any client's acknowledgements)",
            },
            ProbeHistoryChecker.WriteErrorRate => f with
            {
                Method = $"{check.WriteOutage.FailedAttempts} of {check.WriteOutage.Attempts} attempt(s) failed or indeterminate"
                    + (check.WriteOutage.SplitBrainAttempts is > 0 and var elsewhere
                        ? $" ({elsewhere} of them acknowledged by a member other than the final primary: split-brain writes)" : "")
                    + ", " + inWindow,
            },
            _ => null,
        }).OfType<Measurement>().ToList();
        var lost = check.Figure(ProbeHistoryChecker.LostWrites) with
        {
            Target = options.RpoTarget == TimeSpan.Zero ? 0 : null,
            Method = $"the write probe's acknowledged sequence numbers ({check.Loss.Acknowledged}) missing from {writes.ProbeData} on "
                + "the new primary: exact, by sequence number"
                + (check.Indeterminate.Count == 0 ? "" : $"; {check.Indeterminate.Count} indeterminate write(s) (no answer, or the "
                    + "connection lost after sending: maybe committed) are not counted, "
                    + $"{check.IndeterminatePresent.Count} of them present"),
        };
        var window = check.Figure(ProbeHistoryChecker.DataLossWindow) with
        {
            Target = options.RpoTarget?.TotalSeconds,
            Method = "from the acknowledgement of the last write that survived before the first lost one to the acknowledgement of the "
                + "last lost write, on the drill's monotonic clock; 0 when no acknowledged write was lost",
        };
        return new FailoverFigures(write, read, lost, window) { Window = beside };
    }

    private static Measurement Unavailability(Measurement figure, Outage outage, Probe probe, ProbeOptions options, TimeSpan? target,
        string start)
    {
        // Each edge is within one client's interval of the outage. The clients' staggered attempts usually place one they all
        // saw more finely, but not as a bound: on a busy machine their attempts drift together (an independent writer found
        // edges 15-51 ms off where 12.5 ms was stated).
        var resolution = options.Clients == 1
            ? DurationText.Format(options.Interval)
            : $"each edge within {DurationText.Format(options.Interval)}, one client's interval, and a round trip; the "
                + $"{options.Clients} clients' attempts, staggered {DurationText.Format(options.Stagger)} apart, usually place it "
                + "more finely";
        var failedOn = outage.FailedClients.Count == 0 ? "" : $", on client(s) {string.Join(", ", outage.FailedClients)}"
            + (outage.FailedClients.Where(options.Churning).ToList() is { Count: > 0 } churning
                ? $" (client(s) {string.Join(", ", churning)}: a new connection for every attempt)"
                : "");
        // Acknowledged by another member than the final primary: failed for the application, but not refused; the text says so.
        var elsewhere = outage.SplitBrainAttempts > 0;
        var acknowledged = elsewhere ? "acknowledged by the final primary" : "acknowledged";
        var failedWord = elsewhere ? "failed or went to another member" : "failed";
        var method = $"{options.Rate}/s {(options.Clients == 1 ? "" : "each ")}{probe.Statement} through {probe.Path} by {probe.Clients}: "
            + $"{ProbeHistoryChecker.WindowMethod(start, probe.Kind)}, to the end of probing, on one monotonic clock (resolution "
            + $"{resolution}); the longest single gap {Seconds(outage.LongestGap)} s; {outage.FailedAttempts} of "
            + $"{outage.Attempts} attempt(s) in it failed ({Measurement.Format(Math.Round(outage.ErrorRate, 3))} %){failedOn}"
            + (elsewhere ? $", {outage.SplitBrainAttempts} of them acknowledged by a member other than the final primary once it was "
                + "one (split-brain writes: lost to the application, counted as failed)" : "");
        if (outage.StallOver is { } failures && outage.FirstAfter?.Acknowledged is { } resumed)
        {
            var stalled = outage.LastBefore?.Acknowledged ?? outage.Fault;
            method += $"; this window is a stall: no client had an attempt {acknowledged} from +{Seconds(stalled)} s to "
                + $"+{Seconds(resumed)} s (every client waiting), longer than "
                + (failures == TimeSpan.Zero ? "any failure (none failed)" : $"the failures' own window of {Seconds(failures)} s");
        }
        else if (outage.Silence is { } silence)
        {
            // A client failing up to a stall joins the stall into the failures' window: this says how long every client waited.
            method += $"; in it, no client had an attempt {acknowledged} from +{Seconds(silence.From)} s to +{Seconds(silence.To)} s "
                + $"({silence.FailedAttempts} attempt(s) sent in that stretch {failedWord})";
        }
        if (probe.ClientSettingsNote is { } note) method += "; NOTE: " + note;
        // Never recovered while probing: the outage lasted at least until the probe stopped.
        if (outage.Duration is null)
        {
            method += "; NO write was acknowledged after the last failure before the probe stopped, so this is a lower bound";
        }
        return figure with { Target = target?.TotalSeconds, Method = method };
    }
}
