using DrTools.Core.Failover;
using DrTools.Core.Probes;
using static DrTools.Core.Runbooks.Operations.OperationCatalog;

namespace DrTools.Core.Runbooks.Operations;

/// <summary>Invoke-DbFailover as a step: its client-observed write unavailability is the RTO figure, its data loss window the RPO
/// figure.</summary>
internal static class FailoverOperation
{
    public static RunbookOperation InvokeDbFailover { get; } = new("Invoke-DbFailover", typeof(FailoverResult),
        "Switchover or unplanned failover with probes measuring RTO and RPO as clients see them.",
        [
            Target(),
            new("mode", ParameterKind.Choice, "Switchover (planned) or Failover (unplanned).") { Choices = Enum.GetNames<FailoverMode>() },
            new("candidate", ParameterKind.String, "The standby to promote; default the most advanced."),
            new("rejoin", ParameterKind.Boolean, "After a failover, rejoin the old primary as a standby."),
            new("rto", ParameterKind.Duration,
                "Most write unavailability allowed, e.g. 30s; default the runbook's rto objective when the step counts toward it.")
            {
                MaxDuration = DurationText.MaxAge,
            },
            new("rpo", ParameterKind.Duration,
                "Longest window of lost acknowledged writes allowed, e.g. 0s; default the runbook's rpo objective when the step counts "
                + "toward it.")
            {
                MaxDuration = DurationText.MaxAge,
            },
            new("maxStaleReads", ParameterKind.Integer, "Most stale reads allowed (default none: informational).") { Maximum = 1_000_000 },
            new("probeRate", ParameterKind.Number, ProbeOptions.RateHelp)
            {
                Minimum = Probes.ProbeOptions.MinRate, Maximum = Probes.ProbeOptions.MaxRate,
            },
            new("probeClients", ParameterKind.Integer, ProbeOptions.ClientsHelp)
            {
                Minimum = ProbeOptions.MinClients, Maximum = ProbeOptions.MaxClients,
            },
            new("probeConnectionString", ParameterKind.String, "The application's own connection string for the write probe."),
            new("readProbeConnectionString", ParameterKind.String,
                "PostgreSQL: the path the application reads from, e.g. a replica, for the read probe; judged for stale reads."),
            new("integrityTable", ParameterKind.StringList, "Tables whose counts and checksums must match before and after."),
            new("skipIntegrity", ParameterKind.Boolean, "Skip the before/after checksum comparison."),
            new("faultCommand", ParameterKind.String, "Shell command that fails the primary, for members DrTools does not control."),
            new("stopCommand", ParameterKind.String, "Shell command that stops the primary cleanly, for members DrTools does not control."),
            new("dataDirectory", ParameterKind.StringList, "MEMBER=DIRECTORY for members DrTools controls directly."),
            new("phaseTimeout", ParameterKind.Duration, "Longest wait of any one phase (default 60s).") { Positive = true },
            new("endpointWatch", ParameterKind.Duration, FailoverOptions.EndpointWatchHelp) { Positive = true },
            new("recoveredBy", ParameterKind.Choice,
                "Who recovers: DrTools, or Patroni (the default for a Patroni sandbox).") { Choices = Enum.GetNames<RecoveredBy>() },
            new("fault", ParameterKind.Choice,
                $"The unplanned fault: from the fault library on the primary ({Faults.Faults.KindList(DrillFaults.LibraryKinds, k => k)}), "
                + "or with Patroni recovering on the leader's node (default KillNode).") { Choices = DrillFaults.Names },
            new("faultParameter", ParameterKind.StringList, "Parameters of a fault from the library as NAME=VALUE, e.g. [from=node1]."),
            new("faultDuration", ParameterKind.Duration,
                "How long FreezeNode keeps the node stopped (default twice Patroni's ttl).") { Positive = true },
            .. HttpProbeParameters(),
            new("expectAlert", ParameterKind.String,
                "An alert that must fire after the fault (e.g. InstanceDown): time to alert and to resolve are measured; the target is the "
                + "run's alert objective, else alertWithin."),
            new("alertWithin", ParameterKind.Duration,
                "How soon after the fault the expected alert must fire (default the alert objective, else 60s).") { Positive = true },
            new("alertLabel", ParameterKind.StringList, "Labels the expected alert must have, as NAME=VALUE, e.g. [member=node0]."),
            new("alertmanager", ParameterKind.String, "Alertmanager's URL, when the target is not a monitoring sandbox."),
            new("prometheus", ParameterKind.String, "Prometheus' URL, when the target is not a monitoring sandbox."),
        ],
        RunAsync)
    {
        Measures = ["rto", "rpo", "maxErrorRate", "p99", "alert"],
    };

    private static async Task<StepOutcome> RunAsync(OperationContext context, StepArguments args, CancellationToken cancellationToken)
    {
        var targetName = args.Required("target");
        var probe = new ProbeOptions
        {
            Rate = args.Number("probeRate") ?? ProbeOptions.DefaultRate,
            Clients = (int)(args.Integer("probeClients") ?? ProbeOptions.DefaultClients),
        };
        var options = new FailoverOptions
        {
            Mode = Enum.Parse<FailoverMode>(args.String("mode") ?? nameof(FailoverMode.Switchover)),
            Candidate = args.String("candidate"),
            Rejoin = args.Flag("rejoin"),
            RtoTarget = args.Duration("rto") ?? context.ObjectiveTime("rto"),
            RpoTarget = args.Duration("rpo") ?? context.ObjectiveTime("rpo"),
            MaxStaleReads = args.Integer("maxStaleReads") is { } stale ? (int)stale : null,
            WriteProbe = probe with { ConnectionString = args.String("probeConnectionString") },
            ReadProbe = probe with { ConnectionString = args.String("readProbeConnectionString") },
            CheckIntegrity = !args.Flag("skipIntegrity"),
            IntegrityTables = args.List("integrityTable"),
            PhaseTimeout = args.Duration("phaseTimeout") ?? TimeSpan.FromSeconds(60),
            EndpointWatch = args.Duration("endpointWatch") ?? FailoverOptions.DefaultEndpointWatch,
            FaultDuration = args.Duration("faultDuration"),
            HttpProbe = HttpProbe(args),
            ExpectAlert = Monitoring.AlertExpectation.From(args.String("expectAlert"), context.Sandbox(targetName),
                args.String("prometheus"), args.String("alertmanager"),
                Faults.FaultTargets.ParseParameters(args.List("alertLabel") ?? []), args.Duration("alertWithin")
                    ?? context.ObjectiveTime("alert")),
        };
        options = DrillFaults.With(options, args.String("fault"), Faults.FaultTargets.ParseParameters(args.List("faultParameter") ?? []));
        var recoveredBy = args.String("recoveredBy") is { } by ? Enum.Parse<RecoveredBy>(by) : (RecoveredBy?)null;
        var recovery = Recovery.For(context.Store(targetName), context.Sandbox(targetName), new RecoveryRequest(name => name)
        {
            RecoveredBy = recoveredBy,
            DataDirectories = args.List("dataDirectory"),
            FaultCommand = args.String("faultCommand"),
            StopCommand = args.String("stopCommand"),
        });
        var plan = await recovery.PlanAsync(options, cancellationToken);
        // The servers' folders on this machine: a drill stopped by one's full disk failed for the disk, as drtools failover says.
        var disks = DiskRoom.OfDrill(context.Sandbox(targetName), args.List("dataDirectory"));
        try
        {
            return StepOutcomes.From(await recovery.RunAsync(plan, options, cancellationToken), context);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && DiskRoom.MayHideAFullDisk(e))
        {
            DiskRoom.ThrowIfDrillStopped(disks, e.Message, e);
            throw;
        }
    }
}
