namespace DrTools.Core.Runbooks;

/// <summary>What a Kubernetes drill's result means for a run: its figures, rto and minReady, and its moments on the run's clock.</summary>
internal static class KubernetesOutcomes
{
    /// <summary>
    /// A pod deletion's or a node drain's outcome: rto its recovery time, minReady its fewest ready replicas, maxErrorRate
    /// and p99 its HTTP probe's; the first
    /// moment (the deletion, the cordon) a fault mark, the recovery a window.
    /// </summary>
    public static StepOutcome Drill(object result, bool met, string what, IReadOnlyList<Measurement> figures, Measurement recovery,
        Measurement lowest, Probes.HttpProbeResult? http, IReadOnlyList<Kubernetes.WorkloadEvent> timeline, long clockOrigin,
        OperationContext context)
    {
        var start = context.Clock.ReadingAt(clockOrigin);
        var marks = new List<TimelineMark>();
        if (timeline.Count > 0)
        {
            var first = timeline[0];
            marks.Add(new(first.What, MarkKind.Fault, start + first.At));
            marks.Add(new("workload recovering", MarkKind.Outage, start + first.At,
                start + first.At + TimeSpan.FromSeconds(recovery.Measured), recovery.ExactText));
        }
        return new StepOutcome(result, met, $"{what}: recovery time {recovery}, lowest ready {lowest}")
        {
            Measurements = figures,
            ObjectiveFigures = new Dictionary<string, Measurement>(StepOutcomes.HttpObjectiveFigures(http))
            {
                ["rto"] = recovery, ["minReady"] = lowest,
            },
            Marks = marks,
        };
    }
}
