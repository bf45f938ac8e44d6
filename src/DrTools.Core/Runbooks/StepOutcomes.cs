using System.Collections;
using DrTools.Core.Backups;
using DrTools.Core.Cluster;
using DrTools.Core.Failover;
using DrTools.Core.Faults;
using DrTools.Core.Integrity;
using DrTools.Core.Postgres;
using DrTools.Core.Replication;
using DrTools.Core.Runbooks.Operations;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Runbooks;

/// <summary>
/// What a step's result means for the run: whether it passed, its summary line, the figures it measured, its figures
/// for the run's objectives and its timeline marks. One mapping for runbook operations, runbook script: steps and
/// PowerShell script runs, so a result reads the same in every report whichever way the step was written.
/// </summary>
public static class StepOutcomes
{
    public static StepOutcome From(object? output, OperationContext context) => Normalize(output) switch
    {
        null => new StepOutcome(null, true, "done (no output)"),
        ClusterStatus status => new StepOutcome(status, status.Healthy, status.Verdict),
        IReadOnlyList<ReplicationLagResult> lags => Lag(lags),
        ReplicationLagResult lag => Lag([lag]),
        DbChecksum checksum => new StepOutcome(checksum, checksum.Indexes is not { Faults.Count: > 0 },
            $"{checksum.Tables.Count} {checksum.TableWord}(s), {checksum.Tables.Sum(t => t.Rows)} {checksum.RowWord}(s) "
                + $"on {checksum.Member} at {checksum.Lsn}"
                + (checksum.Indexes is { } indexes ? $"; {indexes}" : "")),
        ChecksumComparison comparison => new StepOutcome(comparison, comparison.Passed, comparison.ToString())
        {
            Measurements = [new Measurement("tables differing from the reference", comparison.Differences.Count, "tables", 0,
                comparison.Reference.HowMeasured)],
        },
        DbQueryResult query => new StepOutcome(query, true, query.ToString()),
        FailoverResult failover => Failover(failover, context),
        WalArchiveSettings settings => new StepOutcome(settings, true, $"WAL of {settings.Target} archived into {settings.WalDirectory}"),
        BackupRecord backup => new StepOutcome(backup, true, backup.Engine is { } engine
            ? $"{engine} {backup.Kind} backup {backup.Id} of {backup.Source}: {backup.SizeBytes} bytes at {backup.EndLsn}"
            : $"backup {backup.Id}: {backup.SizeBytes} bytes, {backup.StartLsn} to {backup.EndLsn}")
        {
            Measurements = [new Measurement("backup duration", backup.Duration.TotalSeconds, "s", null,
                "pg_basebackup start to the catalog entry, wall clock of the machine running it")],
        },
        RestorePointRecord point => new StepOutcome(point, true, $"restore point '{point.Name}' at {point.Lsn}"),
        BackupVerificationResult verification => Verification(verification, context),
        PointInTimeResult restore => PointInTime(restore, context),
        BackupPolicyResult policy => new StepOutcome(policy, policy.Passed,
            policy.Passed ? $"policy met; {policy.Retention.Count(r => r.Expired)} backup(s) expire under retention" : string.Join("; ",
                policy.Problems))
        {
            Measurements = policy.LatestBackupAge is { } age ? [age] : [],
        },
        Sandbox sandbox => Created(sandbox, context),
        Kubernetes.WorkloadStatus status => new StepOutcome(status, status.Healthy, $"{status.Target}: {status.Verdict}"),
        Kubernetes.PodRecoveryResult recovery => KubernetesOutcomes.Drill(recovery, recovery.Met,
            $"{recovery.Deleted.Count} pod(s) of {recovery.Target} {recovery.Taken}", recovery.Figures, recovery.RecoveryTime,
            recovery.LowestReady, recovery.HttpProbe, recovery.Timeline, recovery.ClockOrigin, context),
        Kubernetes.NodeLossResult loss => KubernetesOutcomes.Drill(loss, loss.Met,
            $"node {loss.Node} lost with {loss.Lost.Count} pod(s) of {loss.Target}", loss.Figures, loss.RecoveryTime,
            loss.LowestReady, loss.HttpProbe, loss.Timeline, loss.ClockOrigin, context),
        Kubernetes.NodeDrainResult drain => KubernetesOutcomes.Drill(drain, drain.Met,
            $"node {drain.Node} drained of {drain.Evicted.Count} pod(s) of {drain.Target}"
            + (drain.Uncordon is { Undone: false } stuck ? $"; NOT uncordoned: {stuck.Undo}" : ", uncordoned"),
            drain.Figures, drain.RecoveryTime, drain.LowestReady, drain.HttpProbe, drain.Timeline, drain.ClockOrigin, context),
        FaultRecord fault => Started(fault, context),
        FaultEnd end => Ended(end, context),
        FaultTrace trace => new StepOutcome(trace, trace.Clear, trace.ToString()),
        Monitoring.AlertWaitResult alert => new StepOutcome(alert, alert.Met, alert.ToString())
        {
            Measurements = new[] { alert.InAlertmanager, alert.Notified }.OfType<Measurement>().ToList(),
        },
        IReadOnlyList<Monitoring.AlertRule> { Count: 0 } none => new StepOutcome(none, true, "no alerting rule matches"),
        IReadOnlyList<Monitoring.AlertRule> rules => new StepOutcome(rules, true, string.Join(", ",
            rules.Select(r => $"{r.Name} {r.State}"))),
        Monitoring.AlertRule rule => new StepOutcome(rule, true, $"{rule.Name} {rule.State} ({rule.Query}, for {rule.Duration})"),
        // A lone boolean is the step's verdict (Test-ReplicationLag -Quiet, a script's own check).
        bool verdict => new StepOutcome(verdict, verdict, verdict ? "true" : "false (the step's check did not hold)"),
        var other => new StepOutcome(other, true, Shorten(Describe(other))),
    };

    /// <summary>A fault left in effect: the run holds it, and undoes it at its end unless a step stops it.</summary>
    private static StepOutcome Started(FaultRecord fault, OperationContext context)
    {
        context.Faults.Hold(fault);
        return new StepOutcome(fault, true, $"{fault.Description}: in effect until stopped (fault {fault.Id})")
        {
            Marks = Faults.Faults.AppliedAt(fault.Id) is { } applied ? [new TimelineMark("fault injected", MarkKind.Fault,
                context.Clock.ReadingAt(applied), Detail: fault.Description)] : [],
        };
    }

    private static StepOutcome Ended(FaultEnd end, OperationContext context)
    {
        context.Faults.Release(end.Id);
        return new StepOutcome(end, end.Undone && end.HttpProbe?.Met != false, end.HttpProbe is { } http ? $"{end}; {http}"
            : end.ToString())
        {
            Measurements = end.HttpProbe?.Figures ?? [],
            ObjectiveFigures = HttpObjectiveFigures(end.HttpProbe),
            Marks = end.Window is { } window ? [new TimelineMark("fault in effect", MarkKind.FaultActive,
                context.Clock.ReadingAt(window.Applied), context.Clock.ReadingAt(window.Undone), end.Fault.Description)] : [],
        };
    }

    /// <summary>Several results of one kind are read as a list of it (PowerShell writes Test-ReplicationLag's one by one).</summary>
    private static object? Normalize(object? output)
    {
        if (output is not IList { Count: > 0 } items || output is IReadOnlyList<ReplicationLagResult>) return output;
        if (items.Count == 1) return Normalize(items[0]);
        var lags = items.OfType<ReplicationLagResult>().ToList();
        return lags.Count == items.Count ? lags : output;
    }

    private static StepOutcome Lag(IReadOnlyList<ReplicationLagResult> results) =>
        new(results, results.All(r => r.Met), results.Count == 0 ? "no standbys" : string.Join("; ",
            results.Select(r => $"{r.Standby}: {Measurement.Format(r.LagBytes.Measured)} {r.LagBytes.Unit} behind{NotMet(r)}")))
        {
            Measurements = results.SelectMany(r => r.Figures.Select(m => OperationCatalog.Named(m, r.Standby))).ToList(),
        };

    private static StepOutcome Failover(FailoverResult result, OperationContext context) =>
        new(result, result.Met, FailoverSummary(result))
        {
            Measurements = result.Figures,
            ObjectiveFigures = FailoverObjectiveFigures(result),
            // The drill's events are readings of its own clock: placed on the run's by the two clocks' origins.
            Marks = FailoverMarks(result, context.Clock.ReadingAt(result.ClockOrigin)),
        };

    private static string NotMet(ReplicationLagResult lag) => lag.Met ? ""
        : $" (NOT met: {string.Join(", ", lag.Figures.Where(f => f.Met == false).Select(f => $"{f.Name} {f}"))})";

    internal static string FailoverSummary(FailoverResult result) =>
        $"{result.OldPrimary} -> {result.NewPrimary}: write unavailability {result.WriteUnavailability.Measured:0.###} s, "
            + $"{result.LostWrites.Measured} lost write(s), integrity {result.IntegrityText}; {result.State}";

    /// <summary>What a failover measures toward the run's objectives: rto the client-observed write outage, rpo the lost-write
    /// window.</summary>
    internal static Dictionary<string, Measurement> FailoverObjectiveFigures(FailoverResult result)
    {
        // Committed transactions the old primary's rejoin discarded are data lost: an RPO of 0 is not met by them, whatever
        // the probe saw (a figure in transactions, not seconds: the objective then names it).
        var rpo = result.DiscardedTransactions is { Met: false } discarded ? discarded : result.DataLossWindow;
        var figures = new Dictionary<string, Measurement>(HttpObjectiveFigures(result.HttpProbe))
        {
            ["rto"] = result.WriteUnavailability, ["rpo"] = rpo,
        };
        // Time to alert: to the notification when DrTools received one, else to Alertmanager showing it (or why it did not).
        var alerted = result.AlertFigures.Where(f => f.Name.StartsWith("time to alert", StringComparison.Ordinal)).ToList();
        if (alerted.Count > 0) figures["alert"] = alerted.LastOrDefault(f => f.Name.EndsWith("notification)", StringComparison.Ordinal))
            ?? alerted[0];
        return figures;
    }

    /// <summary>What an HTTP probe measures toward the run's objectives: maxErrorRate its error rate, p99 its p99 latency.</summary>
    internal static Dictionary<string, Measurement> HttpObjectiveFigures(Probes.HttpProbeResult? http)
    {
        var figures = new Dictionary<string, Measurement>();
        foreach (var (objective, figure) in new[] { ("maxErrorRate", "HTTP error rate"), ("p99", "HTTP latency p99") })
        {
            if (http?.Figures.FirstOrDefault(f => f.Name == figure) is { } measured) figures[objective] = measured;
        }
        return figures;
    }

    /// <summary>The drill's events as timeline marks on a clock that reads <paramref name="drillStart"/> when the drill's own clock
    /// started.</summary>
    internal static List<TimelineMark> FailoverMarks(FailoverResult result, TimeSpan drillStart)
    {
        var start = Core.Failover.Timeline.Start(result.Timeline);
        var marks = result.Timeline.Select(moment => Mark(moment, start, drillStart)).OfType<TimelineMark>().ToList();
        var lastBefore = result.Timeline.FirstOrDefault(m => m.Name == "last write acknowledged before the outage");
        var firstAfter = result.Timeline.FirstOrDefault(m => m.Name == "first write acknowledged after the outage");
        if (lastBefore is not null && firstAfter is not null)
        {
            marks.Add(new("write outage seen by clients", MarkKind.Outage, drillStart + lastBefore.At, drillStart + firstAfter.At,
                $"{result.WriteUnavailability.Measured:0.###} s"));
        }
        return marks.OrderBy(m => m.At).ToList();
    }

    /// <summary>
    /// A drill that ended with an error: every event of its timeline until then (which member was chosen, promoted, rewound),
    /// on a clock that reads <paramref name="drillStart"/> at the drill clock's origin; none when it carries no timeline.
    /// </summary>
    internal static List<TimelineMark> FailedDrillMarks(Exception failure, Func<long, TimeSpan> drillStart)
    {
        if (Core.Failover.DrillFailure.TimelineOf(failure) is not { } timeline) return [];
        var start = Core.Failover.Timeline.Start(timeline.Events);
        var at = drillStart(timeline.ClockOrigin);
        return timeline.Events.Select(moment => Mark(moment, start, at)
            ?? new TimelineMark(moment.Name, MarkKind.Event, at + moment.At, Detail: moment.Detail)).ToList();
    }

    /// <summary>A drill's event as the chart shows it, or null for one only a failed drill's timeline lists.</summary>
    private static TimelineMark? Mark(Core.Failover.DrillEvent moment, Core.Failover.DrillEvent? start, TimeSpan drillStart) =>
        moment.Name switch
        {
            _ when moment == start => new TimelineMark(moment.Name, MarkKind.Fault, drillStart + moment.At, Detail: moment.Detail),
            "promotion finished" or "old primary rejoined as a standby" => new TimelineMark(moment.Name, MarkKind.Recovery, drillStart
                + moment.At, Detail: moment.Detail),
            // The read probe's recovery beside the write probe's outage band: each probe named on the chart.
            "first read answered after the outage"
                => new TimelineMark("read probe answered again", MarkKind.Recovery, drillStart + moment.At, Detail: moment.Detail),
            // What an HA manager did while DrTools only watched.
            "Patroni noticed" or "Patroni elected a leader" or "HAProxy routes writes to the new leader" or "node thawed"
                or "node restarted"
                => new TimelineMark(moment.Name, MarkKind.Event, drillStart + moment.At, Detail: moment.Detail),
            // Until when the drill observed, and what held it that long.
            "topology settled" or "old primary's transactions discarded"
                => new TimelineMark(moment.Name, MarkKind.Event, drillStart + moment.At, Detail: moment.Detail),
            // The expected alert: firing, its notification, its resolution.
            var name when name.StartsWith("alert ", StringComparison.Ordinal) => new TimelineMark(moment.Name, MarkKind.Event, drillStart
                + moment.At, Detail: moment.Detail),
            _ => null,
        };

    private static StepOutcome Verification(BackupVerificationResult result, OperationContext context)
    {
        if (result.KeptInstanceId is { } kept) context.Track(kept);
        return new StepOutcome(result, result.Met,
            $"backup {result.BackupId}: {result.Result}{(result.Reason is null ? "" : $" ({result.Reason})")}"
                + (result.IntegrityNotChecked is { } why ? $"; integrity not checked: {why}" : ""))
        {
            Measurements = result.Figures,
            ObjectiveFigures = new Dictionary<string, Measurement> { ["rto"] = result.TotalSeconds },
        };
    }

    private static StepOutcome PointInTime(PointInTimeResult result, OperationContext context)
    {
        if (result.InstanceId is { } kept) context.Track(kept);
        var rto = result.Duration with { Target = context.Objective("rto") ?? result.Duration.Target };
        var loss = result.DataLossBeforeTarget is { } measured ? measured with { Target = context.Objective("rpo") ?? measured.Target }
            : null;
        var figures = new Dictionary<string, Measurement> { ["rto"] = rto };
        if (loss is not null) figures["rpo"] = loss;
        return new StepOutcome(result, result.Passed,
            $"restored to {result.Target}: {result.Result}{(result.Reason is null ? "" : $" ({result.Reason})")}; replayed to "
            + $"{result.ReplayedToLsn}")
        {
            Measurements = new[] { rto, loss }.OfType<Measurement>().ToList(),
            ObjectiveFigures = figures,
        };
    }

    /// <summary>A sandbox a step made belongs to the run: removed when the run ends unless its cleanup removed it first.</summary>
    private static StepOutcome Created(Sandbox sandbox, OperationContext context)
    {
        context.Own(sandbox);
        return new StepOutcome(sandbox, true, $"created {sandbox}");
    }

    private static string Describe(object value) => value is IEnumerable items and not string
        ? string.Join(", ", items.Cast<object?>().Select(item => item?.ToString() ?? "null"))
        : value.ToString() ?? "";

    private static string Shorten(string text) => text.Length > 200 ? text[..200] + "…" : text;
}
