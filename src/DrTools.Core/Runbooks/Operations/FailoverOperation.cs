using DrTools.Core.Failover;
using DrTools.Core.Probes;
using static DrTools.Core.Runbooks.Operations.OperationCatalog;

namespace DrTools.Core.Runbooks.Operations;

/// <summary>Invoke-DbFailover as a step: its client-observed write unavailability is the RTO figure, its data loss window the RPO figure.</summary>
internal static class FailoverOperation
{
    public static RunbookOperation InvokeDbFailover { get; } = new("Invoke-DbFailover", typeof(FailoverResult),
        "Switchover or unplanned failover with probes measuring RTO and RPO as clients see them.",
        [
            Target(),
            new("mode", ParameterKind.Choice, "Switchover (planned) or Failover (unplanned).") { Choices = [nameof(FailoverMode.Switchover), nameof(FailoverMode.Failover)] },
            new("candidate", ParameterKind.String, "The standby to promote; default the most advanced."),
            new("rejoin", ParameterKind.Boolean, "After a failover, rejoin the old primary as a standby."),
            new("rtoSeconds", ParameterKind.Number, "Most write unavailability allowed; default the runbook's rto objective when the step counts toward it.") { Maximum = DurationText.MaxAge.TotalSeconds },
            new("rpoSeconds", ParameterKind.Number, "Longest window of lost acknowledged writes allowed; default the runbook's rpo objective when the step counts toward it.") { Maximum = DurationText.MaxAge.TotalSeconds },
            new("probeRate", ParameterKind.Number, "Probe attempts per second (default 20).") { Minimum = Probes.ProbeOptions.MinRate, Maximum = Probes.ProbeOptions.MaxRate },
            new("probeConnectionString", ParameterKind.String, "The application's own connection string for the write probe."),
            new("integrityTable", ParameterKind.StringList, "Tables whose counts and checksums must match before and after."),
            new("skipIntegrity", ParameterKind.Boolean, "Skip the before/after checksum comparison."),
            new("faultCommand", ParameterKind.String, "Shell command that fails the primary, for members DrTools does not control."),
            new("stopCommand", ParameterKind.String, "Shell command that stops the primary cleanly, for members DrTools does not control."),
            new("dataDirectory", ParameterKind.StringList, "MEMBER=DIRECTORY for members DrTools controls directly."),
            new("phaseTimeout", ParameterKind.Duration, "Longest wait of any one phase (default 60s).") { Positive = true },
        ],
        RunAsync)
    {
        Measures = ["rto", "rpo"],
    };

    private static async Task<StepOutcome> RunAsync(OperationContext context, StepArguments args, CancellationToken cancellationToken)
    {
        var targetName = args.Required("target");
        var probe = new ProbeOptions { Rate = args.Number("probeRate") ?? 20 };
        var options = new FailoverOptions
        {
            Mode = Enum.Parse<FailoverMode>(args.String("mode") ?? nameof(FailoverMode.Switchover)),
            Candidate = args.String("candidate"),
            Rejoin = args.Flag("rejoin"),
            RtoTarget = args.Number("rtoSeconds") is { } rto ? TimeSpan.FromSeconds(rto) : context.Objective("rto"),
            RpoTarget = args.Number("rpoSeconds") is { } rpo ? TimeSpan.FromSeconds(rpo) : context.Objective("rpo"),
            WriteProbe = probe with { ConnectionString = args.String("probeConnectionString") },
            ReadProbe = probe,
            CheckIntegrity = !args.Flag("skipIntegrity"),
            IntegrityTables = args.List("integrityTable"),
            PhaseTimeout = args.Duration("phaseTimeout") ?? TimeSpan.FromSeconds(60),
        };
        var control = MemberControls.For(context.Sandbox(targetName), args.List("dataDirectory"), args.String("faultCommand"), args.String("stopCommand"));
        var plan = await FailoverDrill.PlanAsync(context.Target(targetName), control, options, cancellationToken);
        // The drill's own clock starts inside RunAsync, right after this reading: its events land on the run's clock
        // shifted by this offset (the difference between the two clocks' origins is microseconds).
        var drillStart = context.Clock.Elapsed;
        var result = await FailoverDrill.RunAsync(plan, control, options, cancellationToken);
        return new StepOutcome(result, result.Met, Summary(result))
        {
            Measurements = result.Figures,
            ObjectiveFigures = ObjectiveFigures(result),
            Marks = Marks(result, drillStart),
        };
    }

    internal static string Summary(FailoverResult result) =>
        $"{result.OldPrimary} -> {result.NewPrimary}: write unavailability {result.WriteUnavailability.Measured:0.###} s, {result.LostWrites.Measured} lost write(s), integrity {result.IntegrityResult}; {result.State}";

    /// <summary>What a failover measures toward the run's objectives: rto the client-observed write outage, rpo the lost-write window.</summary>
    internal static Dictionary<string, Measurement> ObjectiveFigures(FailoverResult result) => new() { ["rto"] = result.WriteUnavailability, ["rpo"] = result.DataLossWindow };

    /// <summary>The drill's events as timeline marks on a clock that reads <paramref name="drillStart"/> when the drill's own clock started.</summary>
    internal static List<TimelineMark> Marks(FailoverResult result, TimeSpan drillStart)
    {
        var marks = result.Timeline.Select(moment => moment.Name switch
        {
            "fault injected" or "primary stop requested" => new TimelineMark(moment.Name, MarkKind.Fault, drillStart + moment.At, Detail: moment.Detail),
            "promotion finished" or "old primary rejoined as a standby" => new TimelineMark(moment.Name, MarkKind.Recovery, drillStart + moment.At, Detail: moment.Detail),
            _ => null,
        }).OfType<TimelineMark>().ToList();
        var lastBefore = result.Timeline.FirstOrDefault(m => m.Name == "last write acknowledged before the outage");
        var firstAfter = result.Timeline.FirstOrDefault(m => m.Name == "first write acknowledged after the outage");
        if (lastBefore is not null && firstAfter is not null)
        {
            marks.Add(new("write outage seen by clients", MarkKind.Outage, drillStart + lastBefore.At, drillStart + firstAfter.At, $"{result.WriteUnavailability.Measured:0.###} s"));
        }
        return marks.OrderBy(m => m.At).ToList();
    }
}
