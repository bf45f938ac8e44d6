using DrTools.Core.Cluster;
using DrTools.Core.Integrity;
using DrTools.Core.Postgres;
using DrTools.Core.Probes;

namespace DrTools.Core.Failover;

/// <summary>
/// A drill in which an HA manager DrTools does not know recovers (AWS RDS Multi-AZ or Aurora, Pacemaker, repmgrd, a
/// cloud proxy): the user's command fails the writer over or switches it, and DrTools only watches through the endpoint
/// the application uses — which server answers the probe writes (inet_server_addr/port), when writes stop and resume,
/// and which acknowledged writes the writer afterwards does not have.
/// </summary>
public static class ExternalDrill
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    /// <summary>The attempts per second of each of the write probe's clients that open a new connection for every attempt.</summary>
    private const double ChurnWatchRate = 40;

    public static async Task<FailoverPlan> PlanAsync(Postgres.DbTarget target, string action, FailoverOptions options,
        CancellationToken cancellationToken)
    {
        target.DemandDrillAllowed(options.Mode.ToString().ToLowerInvariant());
        // The wait for a settled writer holds the watch and then the settle time after it within one phase.
        if (options.EndpointWatch + options.Settle >= options.PhaseTimeout)
        {
            throw DrToolsException.Refused($"endpoint watch {DurationText.Format(options.EndpointWatch)} and the settle time after it "
                + $"({DurationText.Format(options.Settle)}) do not fit in the phase timeout {DurationText.Format(options.PhaseTimeout)}: "
                + "the writer could never be seen to settle", DrErrorKind.InvalidArgument);
        }
        var probe = Watching(options.WriteProbe);
        var status = await ClusterInspector.GetStatusAsync(target, cancellationToken);
        var writer = status.Members.FirstOrDefault(m => m.Role == MemberRole.Primary)
            ?? throw DrToolsException.Refused($"{options.Mode} of {target.Name} refused: nothing that accepts writes answers through it "
                + $"({status.Verdict})");
        return new FailoverPlan(target, options.Mode, writer.Name, null,
        [
            $"start a write probe ({probe.Rate}/s inserts into {Probe.Table} by {probe.ClientsText}) and a read probe through "
                + $"{target.Name}, each noting which server answered",
            $"run {action}; the HA manager, not DrTools, fails the writer over",
            $"watch, every {DurationText.Format(Poll)}, until a probe write is acknowledged by another server than the writer before (or, "
                + $"after an outage, by the same one), at most {DurationText.Format(options.PhaseTimeout)}",
            $"observe until every write through it for {DurationText.Format(options.EndpointWatch)} (or twice the longest clean gap "
                + "between two failures through it after the new writer's first write, if longer) is acknowledged by one server, "
                + "nothing through it misses that "
                + $"server, one is read back from it, and that holds for {DurationText.Format(options.Settle)} more; writes another "
                + "server acknowledges after that one took over are split-brain writes",
            "measure write unavailability and lost acknowledged writes through the endpoint; compare checksums",
        ], status)
        {
            Recovery = $"{options.Mode} by an HA manager DrTools does not know: run {action}, then watch the writer through {target.Name}",
        };
    }

    /// <param name="act">Runs the user's command or script; returns what it did, for the timeline.</param>
    public static async Task<FailoverResult> RunAsync(FailoverPlan plan, Func<CancellationToken, Task<string>> act, FailoverOptions options,
        CancellationToken cancellationToken)
    {
        options = options with { WriteProbe = Watching(options.WriteProbe) };
        var endpoint = Endpoint(plan, options);
        await using var run = new FailoverRun(options);
        var (clock, timeline) = (run.Clock, run.Timeline);
        await Probe.PrepareAsync(endpoint, cancellationToken);
        var before = options.CheckIntegrity ? await DbChecksums.TakeAsync(endpoint, options.IntegrityTables, cancellationToken) : null;
        run.StartProbes(kind => Probe.Start(kind, run.RunId, plan.Postgres, options.Probe(kind), clock));
        var (writes, reads) = (run.Writes, run.Reads);
        // What the measurement needs from the drill, which records what its probes saw when it ends with an error instead.
        TimeSpan fault, since;
        string oldWriter, newWriter, did;
        ProbeSample? first = null;
        try
        {
            var baseline = await run.BaselineAsync(plan.Target.Name, cancellationToken);

            run.Enter("the user's command", 20);
            fault = clock.Elapsed;
            oldWriter = writes.Samples.Where(s => s.Succeeded && s.Sent < fault).MaxBy(s => s.Acknowledged)?.Host ?? baseline.Host!;
            timeline.Mark(options.Mode == FailoverMode.Switchover ? "primary stop requested" : Timeline.FaultIssued, plan.Recovery, fault);
            did = await PhaseLimit.RunAsync(plan.Action, options.PhaseTimeout, act, cancellationToken);
            timeline.Mark(options.Mode == FailoverMode.Switchover ? "command finished" : Timeline.FaultCompleted, did);

            first = await WaitForNewWriterAsync(run, plan, options, fault, oldWriter, cancellationToken);
            newWriter = first.Host!;

            var held = await WaitUntilWriterHoldsAsync(run, plan, endpoint, options, first.Acknowledged!.Value, cancellationToken);
            newWriter = held.Primary;
            since = writes.Samples.Where(s => s.Succeeded && s.Acknowledged >= fault && s.Host == newWriter)
                .Min(s => s.Acknowledged!.Value);
        }
        catch (Exception e)
        {
            throw await run.FailedAsync(e);
        }

        var start = options.Mode == FailoverMode.Switchover ? "the switchover command" : "the fault command";
        var state = $"the writer through {plan.Target.Name} is "
            + $"{newWriter}{(newWriter == oldWriter ? " again (no change of writer)" : $", was {oldWriter}")}";
        // Read back through the endpoint from the writer only: a proxy still routing a connection to the old writer would
        // show the new writer's rows as lost.
        var end = new DrillEnd(plan, run.RunId, clock, timeline, writes, reads, fault, endpoint, Writer(plan, endpoint, newWriter),
            before, options, start)
        {
            Final = new FinalPrimary(newWriter, since),
        };
        var result = await run.MeasureAsync(() => FailoverFigures.ResultAsync(end, state, followers: false, leftDown: false,
            cancellationToken));
        return result with
        {
            OldPrimary = oldWriter,
            NewPrimary = newWriter,
            RecoveredBy = nameof(RecoveredBy.External),
            Fault = did,
            RecoveryFigures =
            [
                new Measurement("new writer seen", (first.Acknowledged!.Value - fault).TotalSeconds, "s", null,
                    $"from {start} to the first probe write through {plan.Target.Name} acknowledged by the new writer (the server "
                        + $"inet_server_addr/port names), on the drill's monotonic clock"),
            ],
        };
    }

    /// <summary>The first write after the command acknowledged by a new writer, or by the old one after an outage.</summary>
    private static async Task<ProbeSample> WaitForNewWriterAsync(FailoverRun run, FailoverPlan plan, FailoverOptions options,
        TimeSpan fault, string oldWriter, CancellationToken cancellationToken)
    {
        run.Enter("watching the writer through the endpoint", 40);
        var switchover = options.Mode == FailoverMode.Switchover;
        ProbeSample? first = null;
        await Polling.RequireAsync(() => Task.FromResult((first = Recovered(run.Writes.Samples, fault, oldWriter, switchover)) is not null),
            options.PhaseTimeout, Poll,
            () => $"no failover was seen through {plan.Target.Name} within {DurationText.Format(options.PhaseTimeout)}: "
                + Describe(run.Writes.Samples, fault, oldWriter), cancellationToken);
        var newWriter = first!.Host!;
        run.Timeline.Mark("new writer seen",
            newWriter == oldWriter ? $"{newWriter} again, after an outage" : $"{newWriter} (was {oldWriter})", first.Acknowledged);
        return first;
    }

    /// <summary>
    /// Only the endpoint is known: settled once every write through it for a while was acknowledged by one server and
    /// one of them was read back through the endpoint from that server, and that still held while the probes ran on.
    /// </summary>
    private static async Task<SettledTopology> WaitUntilWriterHoldsAsync(FailoverRun run, FailoverPlan plan, DbMember endpoint,
        FailoverOptions options, TimeSpan firstAcknowledged, CancellationToken cancellationToken)
    {
        var (clock, timeline, writes, reads) = (run.Clock, run.Timeline, run.Writes, run.Reads);
        run.Enter("waiting until the writer holds", 85);
        string? unsettled = null;
        var wait = new SettlingWait(clock);
        var settling = new EndpointSettling(plan, endpoint, writes, ReadsThroughEndpoint(plan, endpoint, options) ? reads : null,
            firstAcknowledged, options.EndpointWatch);
        SettledTopology? held = null;
        await Polling.RequireAsync(async () =>
            {
                var at = clock.Elapsed;
                if (held is not null)
                {
                    if ((unsettled = settling.Relapse(held)) is null && at - held.At >= options.Settle)
                    {
                        // Held for the settle time: every attempt sent by now has its outcome before the probes stop (each
                        // ends by its timeout), and none of them missed the writer: one in flight may be meeting a flap.
                        await Task.WhenAll(writes.WaitForEndedAsync(at, cancellationToken),
                            reads.WaitForEndedAsync(at, cancellationToken));
                        unsettled = settling.Relapse(held);
                    }
                    if (unsettled is null) return at - held.At >= options.Settle;
                    held = null;
                }
                else unsettled = await settling.UnsettledAsync(cancellationToken);
                wait.Saw(unsettled, at);
                if (unsettled is null) held = wait.Settled(writes.Samples.Last(s => s.Succeeded).Host!);
                return held is not null && options.Settle <= TimeSpan.Zero;
            },
            options.PhaseTimeout, Poll,
            () => $"the writer through {plan.Target.Name} never settled within {DurationText.Format(options.PhaseTimeout)}: "
                + (unsettled ?? "it seemed to hold, and the phase ended within the settle time "
                    + $"({DurationText.Format(options.Settle)}) after that") + ".",
            cancellationToken);
        var newWriter = held!.Primary;
        timeline.Mark("topology settled",
            $"every write through {plan.Target.Name} for {DurationText.Format(settling.Stable)} was acknowledged by {newWriter}, "
                + $"nothing through it missed {newWriter}, one write was read back from it, and for "
                + $"{DurationText.Format(options.Settle)} after nothing failed or went elsewhere; watched through "
                + $"{settling.NewConnections(clock.Elapsed)} (a misrouting through it that began later than "
                + $"{DurationText.Format(settling.Stable)} after the last failure would not have been seen: -EndpointWatch / "
                + $"--endpoint-watch); {held.Statement}", held.At);
        return held;
    }

    /// <summary>
    /// The write probe of a drill seen only through an endpoint: two more clients that open a new connection for every
    /// attempt, the three at 40/s each, when the limits on clients and rate leave room. A proxy whose health checks flap
    /// misroutes new connections for a few tens of milliseconds at a time (an independent client met 20-50 ms every
    /// 0.6-2.1 s); one such client at 20/s, whose next attempt waits for its connection, met them only by chance.
    /// </summary>
    internal static ProbeOptions Watching(ProbeOptions probe)
    {
        if (!probe.Churns || probe.ChurningClients > 1) return probe;
        var watching = probe with
        {
            Clients = probe.Clients + 2, ChurningClients = 3, ChurnRate = Math.Max(probe.Rate, ChurnWatchRate),
        };
        return watching.Clients <= ProbeOptions.MaxClients && watching.TotalRate <= ProbeOptions.MaxRate ? watching : probe;
    }

    /// <summary>
    /// Whether the read probe goes through the endpoint the writes do: then a read another server answers after the new
    /// writer took over is the endpoint still routing to the old one.
    /// </summary>
    private static bool ReadsThroughEndpoint(FailoverPlan plan, DbMember endpoint, FailoverOptions options)
    {
        var path = options.ReadProbe.ConnectionString is { } read ? DbMember.Parse(read, 1).Endpoint
            : plan.Postgres.Members.Count == 1 ? plan.Postgres.Members[0].Endpoint : null;
        return path is not null && ClusterInspector.SameEndpoint(path, endpoint.Endpoint);
    }

    /// <summary>
    /// Where the application connects: the probe's connection string when one is given (a proxy in front of the members
    /// the target names), else the target's one endpoint.
    /// </summary>
    private static DbMember Endpoint(FailoverPlan plan, FailoverOptions options)
    {
        var target = plan.Postgres.Member(plan.Primary);
        return options.WriteProbe.ConnectionString is { } application
            ? DbMember.Parse(application, 1, connectTimeout: target.ConnectTimeout)
            : target;
    }

    /// <summary>The target's member that is <paramref name="server"/> (host:port as it names itself), if the target lists it.</summary>
    internal static DbMember? Member(FailoverPlan plan, string server) =>
        plan.Postgres.Members.FirstOrDefault(m => ClusterInspector.SameEndpoint(m.Endpoint, server));

    /// <summary>
    /// What reads from the writer: the member itself when the target lists it, else the endpoint, from that server only.
    /// </summary>
    private static DbMember Writer(FailoverPlan plan, DbMember endpoint, string writer) =>
        Member(plan, writer) ?? endpoint.ReachingWriter(writer);

    /// <summary>
    /// The first write a new writer acknowledged; after an unplanned fault, also the first acknowledged after a failure (the
    /// same server back). A switchover is over only once the writer changed: one client's passing failure, the others
    /// writing on to the old writer, ended one before it began.
    /// </summary>
    internal static ProbeSample? Recovered(IReadOnlyList<ProbeSample> samples, TimeSpan fault, string oldWriter, bool switchover)
    {
        var after = samples.Where(s => s.Sent >= fault).OrderBy(s => s.Sequence).ToList();
        var outage = after.FindIndex(s => !s.Succeeded);
        return after.FirstOrDefault(s => s.Succeeded && s.Host != oldWriter)
            ?? (outage < 0 || switchover ? null : after.Skip(outage).FirstOrDefault(s => s.Succeeded));
    }

    private static string Describe(IReadOnlyList<ProbeSample> samples, TimeSpan fault, string oldWriter)
    {
        var after = samples.Where(s => s.Sent >= fault).ToList();
        return after.All(s => s.Succeeded)
            ? $"{oldWriter} kept acknowledging every write ({after.Count} since the command)"
            : $"{after.Count(s => !s.Succeeded)} of {after.Count} writes failed since the command, the last: "
                + $"{after.LastOrDefault(s => !s.Succeeded)?.Error}";
    }
}
