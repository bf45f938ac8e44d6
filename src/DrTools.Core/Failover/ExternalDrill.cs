using DrTools.Core.Cluster;
using DrTools.Core.Integrity;
using DrTools.Core.Postgres;
using DrTools.Core.Probes;
using static DrTools.Core.Measurement;

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

    public static async Task<FailoverPlan> PlanAsync(Postgres.DbTarget target, string action, FailoverOptions options,
        CancellationToken cancellationToken)
    {
        target.DemandDrillAllowed(options.Mode.ToString().ToLowerInvariant());
        var status = await ClusterInspector.GetStatusAsync(target, cancellationToken);
        var writer = status.Members.FirstOrDefault(m => m.Role == MemberRole.Primary)
            ?? throw new DrToolsException($"{options.Mode} of {target.Name} refused: nothing that accepts writes answers through it "
                + $"({status.Verdict}). Nothing was changed.", DrErrorKind.InvalidOperation);
        return new FailoverPlan(target, options.Mode, writer.Name, null,
        [
            $"start a write probe ({options.WriteProbe.Rate}/s inserts into {Probe.Table}) and a read probe through {target.Name}, each "
                + $"noting which server answered",
            $"run {action}; the HA manager, not DrTools, fails the writer over",
            $"watch, every {DurationText.Format(Poll)}, until a probe write is acknowledged by another server than the writer before (or, "
                + $"after an outage, by the same one), at most {DurationText.Format(options.PhaseTimeout)}",
            $"observe until every write through it for {DurationText.Format(StableFor)} is acknowledged by one server and read back "
                + "from it; "
                + "writes another server acknowledges after that one took over are split-brain writes",
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
        var endpoint = Endpoint(plan, options);
        var clock = new MonotonicClock();
        var timeline = new Timeline(clock);
        var runId = Guid.NewGuid();
        await Probe.PrepareAsync(endpoint, cancellationToken);
        var before = options.CheckIntegrity ? await DbChecksums.TakeAsync(endpoint, options.IntegrityTables, cancellationToken) : null;
        await using var writes = Probe.Start(ProbeKind.Write, runId, plan.Postgres, options.WriteProbe, clock);
        await using var reads = Probe.Start(ProbeKind.Read, runId, plan.Postgres, options.ReadProbe, clock);
        timeline.Mark("probes started", writes.Path);
        // What the measurement needs from the drill, which records what its probes saw when it ends with an error instead.
        TimeSpan fault, since;
        string oldWriter, newWriter, did;
        ProbeSample? first = null;
        try
        {
            var baseline = await writes.WaitForSuccessAsync(TimeSpan.Zero, options.PhaseTimeout, cancellationToken)
                ?? throw new DrToolsException($"the write probe never succeeded through {plan.Target.Name} "
                    + $"({writes.Samples.LastOrDefault()?.Error}); nothing was changed.", DrErrorKind.InvalidOperation);
            await writes.WaitForBaselineAsync(options.BaselineWrites, options.PhaseTimeout, cancellationToken);

            options.Progress.Enter("the user's command", 20);
            fault = clock.Elapsed;
            oldWriter = writes.Samples.Where(s => s.Succeeded && s.Sent < fault).MaxBy(s => s.Acknowledged)?.Host ?? baseline.Host!;
            timeline.Mark(options.Mode == FailoverMode.Switchover ? "primary stop requested" : Timeline.FaultIssued, plan.Recovery, fault);
            did = await act(cancellationToken);
            timeline.Mark(options.Mode == FailoverMode.Switchover ? "command finished" : Timeline.FaultCompleted, did);

            options.Progress.Enter("watching the writer through the endpoint", 40);
            var switchover = options.Mode == FailoverMode.Switchover;
            await Polling.RequireAsync(() => Task.FromResult((first = Recovered(writes.Samples, fault, oldWriter, switchover)) is not null),
                options.PhaseTimeout, Poll,
                () => $"no failover was seen through {plan.Target.Name} within {DurationText.Format(options.PhaseTimeout)}: "
                    + Describe(writes.Samples, fault, oldWriter), cancellationToken);
            newWriter = first!.Host!;
            timeline.Mark("new writer seen",
                newWriter == oldWriter ? $"{newWriter} again, after an outage" : $"{newWriter} (was {oldWriter})", first.Acknowledged);

            // Only the endpoint is known: settled once every write through it for a while was acknowledged by one server and
            // one of them was read back through the endpoint from that server, and that still held while the probes ran on.
            options.Progress.Enter("waiting until the writer holds", 85);
            string? unsettled = null;
            var wait = new SettlingWait(clock);
            SettledTopology? held = null;
            await Polling.RequireAsync(async () =>
                {
                    var at = clock.Elapsed;
                    if (held is not null)
                    {
                        if ((unsettled = Relapse(plan, writes, held)) is null) return at - held.At >= options.Settle;
                        held = null;
                    }
                    else unsettled = await UnsettledAsync(plan, endpoint, writes, first.Acknowledged!.Value, cancellationToken);
                    wait.Saw(unsettled, at);
                    if (unsettled is null) held = wait.Settled(writes.Samples.Last(s => s.Succeeded).Host!);
                    return held is not null && options.Settle <= TimeSpan.Zero;
                },
                options.PhaseTimeout, Poll,
                () => $"the writer through {plan.Target.Name} never settled within {DurationText.Format(options.PhaseTimeout)}: "
                    + $"{unsettled}.",
                cancellationToken);
            newWriter = held!.Primary;
            since = writes.Samples.Where(s => s.Succeeded && s.Acknowledged >= fault && s.Host == newWriter)
                .Min(s => s.Acknowledged!.Value);
            timeline.Mark("topology settled",
                $"every write through {plan.Target.Name} for {DurationText.Format(StableFor)} was acknowledged by {newWriter}, and one was "
                    + $"read back from it, and for {DurationText.Format(options.Settle)} after no write failed or went elsewhere; "
                    + held.Statement, held.At);
        }
        catch (Exception e)
        {
            throw await DrillFailure.WithHistoryAsync(e, runId, writes, reads, timeline, clock);
        }

        options.Progress.Enter("measuring what the probes saw, lost writes and integrity", 95);
        var start = options.Mode == FailoverMode.Switchover ? "the switchover command" : "the fault command";
        var state = $"the writer through {plan.Target.Name} is "
            + $"{newWriter}{(newWriter == oldWriter ? " again (no change of writer)" : $", was {oldWriter}")}";
        // Read back through the endpoint from the writer only: a proxy still routing a connection to the old writer would
        // show the new writer's rows as lost.
        var end = new DrillEnd(plan, runId, clock, timeline, writes, reads, fault, endpoint, Writer(plan, endpoint, newWriter), before,
            options, start)
        {
            Final = new FinalPrimary(newWriter, since),
        };
        var result = await FailoverFigures.ResultAsync(end, state, followers: false, leftDown: false, cancellationToken);
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

    /// <summary>How long every write through the endpoint must land on one server for the writer to count as settled.</summary>
    private static readonly TimeSpan StableFor = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Null once the writes acknowledged in the last <see cref="StableFor"/> (at least three) all came from one server, none
    /// failed then, every client of the probe had one acknowledged by it, and the newest is read back through the endpoint
    /// from that server; else what is missing.
    /// </summary>
    private static async Task<string?> UnsettledAsync(FailoverPlan plan, DbMember endpoint, Probe writes, TimeSpan firstAfter,
        CancellationToken cancellationToken)
    {
        var acknowledged = writes.Samples.Where(s => s.Succeeded && s.Acknowledged >= firstAfter).ToList();
        if (acknowledged.Count == 0) return "no write acknowledged yet";
        var recent = acknowledged.Where(s => s.Acknowledged >= acknowledged[^1].Acknowledged - StableFor).ToList();
        var servers = recent.Select(s => s.Host).Distinct().ToList();
        if (servers.Count > 1)
        {
            return $"writes were acknowledged by {string.Join(" and ", servers)} within {DurationText.Format(StableFor)}";
        }
        if (acknowledged[^1].Acknowledged - firstAfter < StableFor || recent.Count < 3)
        {
            return $"{servers[0]} acknowledged {recent.Count} write(s) for less than {DurationText.Format(StableFor)}";
        }
        // A write refused meanwhile (a proxy still handing new connections to the old writer, now read-only) is the outage
        // going on for the clients that met it.
        var failed = writes.Samples.Where(s => !s.Succeeded && s.Sent >= acknowledged[^1].Acknowledged - StableFor).ToList();
        if (failed.Count > 0)
        {
            return $"{failed.Count} write(s) through {plan.Target.Name} failed within {DurationText.Format(StableFor)}, the last: "
                + failed[^1].Error;
        }
        var newest = recent[^1];
        if (writes.Unserved(firstAfter, newest.Host!) is { } unserved) return unserved;
        var (server, held) = await (Member(plan, newest.Host!) ?? endpoint).QueryAsync(
            "select host(inet_server_addr()) || ':' || inet_server_port(), "
                + $"exists (select 1 from {Probe.Table} where run_id = '{writes.RunId}' and seq = {newest.Sequence})",
            r => (r.IsDBNull(0) ? null : r.GetString(0), r.GetBoolean(1)), cancellationToken);
        return server != newest.Host ? $"a read through {plan.Target.Name} reached {server}, not the writer {newest.Host}"
            : held ? null : $"probe write {newest.Sequence}, acknowledged by {newest.Host}, was not read back from it";
    }

    /// <summary>
    /// Null while the writer still holds as it did at <paramref name="held"/>: every attempt sent since the stretch it was
    /// judged on acknowledged by that server. A write that failed meanwhile (a proxy whose round robin had kept the old
    /// writer from the probe's new connections only by chance) or went elsewhere means it had not settled.
    /// </summary>
    private static string? Relapse(FailoverPlan plan, Probe writes, SettledTopology held)
    {
        var since = writes.Samples.Where(s => s.Sent >= held.At - StableFor && !s.Stopped).ToList();
        if (since.FirstOrDefault(s => !s.Succeeded) is { } failed)
        {
            return $"a write through {plan.Target.Name} sent at +{Seconds(failed.Sent)} s failed after the writer seemed to hold at "
                + $"+{Seconds(held.At)} s: {failed.Error}";
        }
        return since.FirstOrDefault(s => s.Host != held.Primary) is { } elsewhere
            ? $"a write sent at +{Seconds(elsewhere.Sent)} s was acknowledged by {elsewhere.Host}, not {held.Primary}, after the "
                + $"writer seemed to hold at +{Seconds(held.At)} s"
            : null;
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
    private static DbMember? Member(FailoverPlan plan, string server) =>
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
