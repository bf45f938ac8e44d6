using DrTools.Core.Cluster;
using DrTools.Core.Integrity;
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

    public static async Task<FailoverPlan> PlanAsync(Postgres.DbTarget target, string action, FailoverOptions options, CancellationToken cancellationToken)
    {
        target.DemandDrillAllowed(options.Mode.ToString().ToLowerInvariant());
        var status = await ClusterInspector.GetStatusAsync(target, cancellationToken);
        var writer = status.Members.FirstOrDefault(m => m.Role == MemberRole.Primary)
            ?? throw new DrToolsException($"{options.Mode} of {target.Name} refused: nothing that accepts writes answers through it ({status.Verdict}). Nothing was changed.", DrErrorKind.InvalidOperation);
        return new FailoverPlan(target, options.Mode, writer.Name, null,
        [
            $"start a write probe ({options.WriteProbe.Rate}/s inserts into {Probe.Table}) and a read probe through {target.Name}, each noting which server answered",
            $"run {action}; the HA manager, not DrTools, fails the writer over",
            $"watch, every {DurationText.Format(Poll)}, until a probe write is acknowledged by another server than the writer before (or, after an outage, by the same one), at most {DurationText.Format(options.PhaseTimeout)}",
            "measure write unavailability and lost acknowledged writes through the endpoint; compare checksums",
        ], status)
        {
            Recovery = $"{options.Mode} by an HA manager DrTools does not know: run {action}, then watch the writer through {target.Name}",
        };
    }

    /// <param name="act">Runs the user's command or script; returns what it did, for the timeline.</param>
    public static async Task<FailoverResult> RunAsync(FailoverPlan plan, Func<CancellationToken, Task<string>> act, FailoverOptions options, CancellationToken cancellationToken)
    {
        var endpoint = plan.Postgres.Member(plan.Primary);
        var clock = new MonotonicClock();
        var timeline = new Timeline(clock);
        var runId = Guid.NewGuid();
        await Probe.PrepareAsync(endpoint, cancellationToken);
        var before = options.CheckIntegrity ? await DbChecksums.TakeAsync(endpoint, options.IntegrityTables, cancellationToken) : null;
        await using var writes = Probe.Start(ProbeKind.Write, runId, plan.Postgres, options.WriteProbe, clock);
        await using var reads = Probe.Start(ProbeKind.Read, runId, plan.Postgres, options.ReadProbe, clock);
        timeline.Mark("probes started", writes.Path);
        var baseline = await writes.WaitForSuccessAsync(TimeSpan.Zero, options.PhaseTimeout, cancellationToken)
            ?? throw new DrToolsException($"the write probe never succeeded through {plan.Target.Name} ({writes.Samples.LastOrDefault()?.Error}); nothing was changed.", DrErrorKind.InvalidOperation);
        await writes.WaitForBaselineAsync(options.BaselineWrites, options.PhaseTimeout, cancellationToken);

        options.Progress.Enter("the user's command", 20);
        var fault = clock.Elapsed;
        var oldWriter = writes.Samples.Where(s => s.Succeeded && s.Sent < fault).MaxBy(s => s.Acknowledged)?.Host ?? baseline.Host!;
        timeline.Mark(options.Mode == FailoverMode.Switchover ? "primary stop requested" : Timeline.FaultIssued, plan.Recovery, fault);
        var did = await act(cancellationToken);
        timeline.Mark(options.Mode == FailoverMode.Switchover ? "command finished" : Timeline.FaultCompleted, did);

        options.Progress.Enter("watching the writer through the endpoint", 40);
        ProbeSample? first = null;
        await Polling.RequireAsync(() => Task.FromResult((first = Recovered(writes.Samples, fault, oldWriter)) is not null), options.PhaseTimeout, Poll,
            () => $"no failover was seen through {plan.Target.Name} within {DurationText.Format(options.PhaseTimeout)}: {Describe(writes.Samples, fault, oldWriter)}", cancellationToken);
        var newWriter = first!.Host!;
        timeline.Mark("new writer seen", newWriter == oldWriter ? $"{newWriter} again, after an outage" : $"{newWriter} (was {oldWriter})", first.Acknowledged);
        await Task.Delay(options.Settle, cancellationToken);

        options.Progress.Enter("measuring what the probes saw, lost writes and integrity", 95);
        var start = options.Mode == FailoverMode.Switchover ? "the switchover command" : "the fault command";
        var state = $"the writer through {plan.Target.Name} is {newWriter}{(newWriter == oldWriter ? " again (no change of writer)" : $", was {oldWriter}")}";
        var end = new DrillEnd(plan, runId, clock, timeline, writes, reads, fault, endpoint, endpoint, before, options, start);
        var result = await FailoverFigures.ResultAsync(end, state, () => Task.CompletedTask, cancellationToken);
        return result with
        {
            OldPrimary = oldWriter,
            NewPrimary = newWriter,
            RecoveredBy = nameof(RecoveredBy.External),
            Fault = did,
            RecoveryFigures =
            [
                new Measurement("new writer seen", (first.Acknowledged!.Value - fault).TotalSeconds, "s", null,
                    $"from {start} to the first probe write through {plan.Target.Name} acknowledged by the new writer (the server inet_server_addr/port names), on the drill's monotonic clock"),
            ],
        };
    }

    /// <summary>The first write after the fault acknowledged by another writer, or by the same one after an outage.</summary>
    private static ProbeSample? Recovered(IReadOnlyList<ProbeSample> samples, TimeSpan fault, string oldWriter)
    {
        var after = samples.Where(s => s.Sent >= fault).OrderBy(s => s.Sequence).ToList();
        var outage = after.FindIndex(s => !s.Succeeded);
        return after.FirstOrDefault(s => s.Succeeded && s.Host != oldWriter)
            ?? (outage < 0 ? null : after.Skip(outage).FirstOrDefault(s => s.Succeeded));
    }

    private static string Describe(IReadOnlyList<ProbeSample> samples, TimeSpan fault, string oldWriter)
    {
        var after = samples.Where(s => s.Sent >= fault).ToList();
        return after.All(s => s.Succeeded)
            ? $"{oldWriter} kept acknowledging every write ({after.Count} since the command)"
            : $"{after.Count(s => !s.Succeeded)} of {after.Count} writes failed since the command, the last: {after.LastOrDefault(s => !s.Succeeded)?.Error}";
    }
}
