using System.Management.Automation;
using DrTools.Core.Monitoring;
using DrTools.Core;
using DrTools.Core.Failover;
using DrTools.Core.Probes;
using DrTools.Core.Runbooks;

namespace DrTools.PowerShell;

/// <summary>
/// A switchover or failover drill with write and read probes running throughout: RTO and RPO as a client observed
/// them, data integrity, timeline and topology afterwards. Refuses targets not allowed for drills.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "DbFailover", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High,
    DefaultParameterSetName = ConnectionSet)]
[OutputType(typeof(FailoverResult))]
public sealed class InvokeDbFailoverCommand : ProbedTargetCmdlet
{
    // A string, not FailoverMode: PowerShell lays out cmdlet types before the module initializer can resolve
    // DrTools.Core, and a field of one of its value types would fail to load.
    [Parameter(HelpMessage = "Switchover (planned: clean stop, catch-up, promote, rejoin) or Failover (unplanned: inject a fault, promote "
        + "the most advanced standby).")]
    [ValidateSet(nameof(FailoverMode.Switchover), nameof(FailoverMode.Failover))]
    public string Mode { get; set; } = nameof(FailoverMode.Switchover);

    [Parameter(HelpMessage = "The standby to promote (member name or host:port); default the most advanced by replayed LSN.")]
    [ArgumentCompleter(typeof(MemberCompleter))]
    public string? Candidate { get; set; }

    [Parameter(HelpMessage = "After a failover, rejoin the old primary as a standby of the new one (a switchover always does).")]
    public SwitchParameter Rejoin { get; set; }

    [Parameter(HelpMessage = "Recovery time objective, e.g. 30s (a number is seconds), as Start-DrRun -Rto: the most write "
        + "unavailability allowed; the read probe's reconnection is held to it too.")]
    [Alias("RtoSeconds")]
    [DurationTransformation(Long = true)]
    public TimeSpan? Rto { get; set; }

    [Parameter(HelpMessage = "Recovery point objective, e.g. 0s (a number is seconds), as Start-DrRun -Rpo: the longest window of "
        + "lost acknowledged writes allowed (0: none may be lost).")]
    [Alias("RpoSeconds")]
    [DurationTransformation(Long = true)]
    public TimeSpan? Rpo { get; set; }

    [Parameter(HelpMessage = "Target: most stale reads allowed (default none: informational, as reads through a replica are "
        + "expected to be behind).")]
    [ValidateRange(0, 1_000_000)]
    public int? MaxStaleReads { get; set; }

    [Parameter(HelpMessage = ProbeOptions.RateHelp)]
    [ValidateRange(ProbeOptions.MinRate, ProbeOptions.MaxRate)]
    public double ProbeRate { get; set; } = ProbeOptions.DefaultRate;

    [Parameter(HelpMessage = ProbeOptions.ClientsHelp)]
    [ValidateRange(ProbeOptions.MinClients, ProbeOptions.MaxClients)]
    public int ProbeClients { get; set; } = ProbeOptions.DefaultClients;

    [Parameter(HelpMessage = "The application's own connection string for the write probe (default: all members, Target Session "
        + "Attributes=read-write).")]
    public string? ProbeConnectionString { get; set; }

    [Parameter(HelpMessage = "PostgreSQL: the path the application reads from, e.g. a replica, for the read probe (default: any "
        + "member); reads through a replica are judged for stale reads.")]
    public string? ReadProbeConnectionString { get; set; }

    [Parameter(HelpMessage = "Tables whose row counts and checksums must be the same before and after (default: all but drtools_*).")]
    public string[]? IntegrityTable { get; set; }

    [Parameter(HelpMessage = "Skip the before/after checksum comparison.")]
    public SwitchParameter SkipIntegrity { get; set; }

    [Parameter(HelpMessage = "Shell command that fails the primary (DRTOOLS_MEMBER_HOST and DRTOOLS_MEMBER_PORT are set): needed for "
        + "members DrTools does not control; on a sandbox it replaces the SIGKILL of the postmaster, and with Patroni recovering the node "
        + "fault.")]
    public string? FaultCommand { get; set; }

    [Parameter(HelpMessage = "Shell command that stops the primary cleanly: needed for members DrTools does not control, and on a sandbox "
        + "it replaces DrTools' fast shutdown.")]
    public string? StopCommand { get; set; }

    [Parameter(ParameterSetName = ConnectionSet,
        HelpMessage = "MEMBER=DIRECTORY: data directories on this machine of members DrTools then controls directly (signals, pg_rewind).")]
    public string[]? DataDirectory { get; set; }

    [Parameter(ParameterSetName = ConnectionSet,
        HelpMessage = "host:port of every member this drill may act on: a cluster other than a sandbox is refused unless each member is "
        + "named here (or in DRTOOLS_ALLOW_DRILL_ON).")]
    public string[]? AllowDrillOn { get; set; }

    [Parameter(ParameterSetName = ConnectionSet,
        HelpMessage = "REST API of the Patroni that runs the cluster, e.g. http://db1:8008: Patroni then recovers (switchover through its "
        + "REST API; the fault is -FaultCommand). Give every node's connection string, and the application's path as "
        + "-ProbeConnectionString.")]
    [ValidateNotNullOrEmpty]
    public string[]? Patroni { get; set; }

    [Parameter(HelpMessage = "Who recovers: DrTools (it promotes and rewinds), Patroni or Sentinel (a Redis sandbox's; DrTools injects the "
        + "fault and only observes) or External (an HA manager DrTools does not know: -FaultCommand or -FaultScript acts, DrTools watches "
        + "through the endpoint). Default Patroni for a Patroni sandbox or with -Patroni, DrTools otherwise.")]
    [ValidateSet(nameof(Core.Failover.RecoveredBy.DrTools), nameof(Core.Failover.RecoveredBy.Patroni),
        nameof(Core.Failover.RecoveredBy.External), nameof(Core.Failover.RecoveredBy.Sentinel))]
    public string? RecoveredBy { get; set; }

    [Parameter(HelpMessage = "With -RecoveredBy External: a script block that fails the writer over or switches it (e.g. { "
        + "Start-RDSDBClusterFailover -DBClusterIdentifier prod }), run on this pipeline.")]
    public ScriptBlock? FaultScript { get; set; }

    [Parameter(HelpMessage = "The unplanned fault: from the fault library on the primary (Partition, PacketLoss, Freeze, Kill, Command, "
        + "ConnectionExhaustion, DiskFull; Latency, Jitter, Bandwidth, ResetConnections, Blackhole in a sandbox with a fault proxy; undone "
        + "when the drill ends, the old primary fenced first), or with Patroni recovering on the leader's node (KillPostgres, KillNode — "
        + "the default —, FreezeNode, StopPatroni). Default: SIGKILL of the postmaster.")]
    [ValidateSet(nameof(NodeFault.KillPostgres), nameof(NodeFault.KillNode), nameof(NodeFault.FreezeNode), nameof(NodeFault.StopPatroni),
        nameof(Core.Faults.FaultKind.Partition), nameof(Core.Faults.FaultKind.PacketLoss), nameof(Core.Faults.FaultKind.Freeze),
        nameof(Core.Faults.FaultKind.Kill), nameof(Core.Faults.FaultKind.Command), nameof(Core.Faults.FaultKind.ConnectionExhaustion),
        nameof(Core.Faults.FaultKind.DiskFull), nameof(Core.Faults.FaultKind.Latency), nameof(Core.Faults.FaultKind.Jitter),
        nameof(Core.Faults.FaultKind.Bandwidth), nameof(Core.Faults.FaultKind.ResetConnections), nameof(Core.Faults.FaultKind.Blackhole))]
    public string? Fault { get; set; }

    [Parameter(HelpMessage = "Parameters of a fault from the library, e.g. @{ from = 'node1' } or @{ percent = 80 } (see Start-DrFault).")]
    public System.Collections.Hashtable? FaultParameter { get; set; }

    [Parameter(HelpMessage = "How long FreezeNode keeps the node stopped, e.g. 40s (default twice Patroni's ttl).")]
    [DurationTransformation(Positive = true)]
    public TimeSpan? FaultDuration { get; set; }

    [Parameter(HelpMessage = "An alert that must fire after the fault, e.g. InstanceDown: time to alert (in Alertmanager, and to DrTools' "
        + "receiver on a monitoring sandbox) and time to resolve are measured; a drill whose alert does not fire fails, naming the rule.")]
    [ValidateNotNullOrEmpty]
    public string? ExpectAlert { get; set; }

    [Parameter(HelpMessage = "How soon after the fault the expected alert must fire, e.g. 30s (default 60s).")]
    [DurationTransformation(Positive = true)]
    public TimeSpan? AlertWithin { get; set; }

    [Parameter(HelpMessage = "Labels the expected alert must have, e.g. @{ member = 'node0' }.")]
    public System.Collections.Hashtable? AlertLabel { get; set; }

    [Parameter(HelpMessage = "Alertmanager's URL, when the target is not a monitoring sandbox.")]
    public string? Alertmanager { get; set; }

    [Parameter(HelpMessage = "Prometheus' URL, when the target is not a monitoring sandbox.")]
    public string? Prometheus { get; set; }

    [Parameter(HelpMessage = "Longest wait of any one phase (catch-up, promotion, first write, rejoin), e.g. 60s.")]
    [DurationTransformation(Positive = true)]
    public TimeSpan PhaseTimeout { get; set; } = TimeSpan.FromSeconds(60);

    [Parameter(HelpMessage = FailoverOptions.EndpointWatchHelp)]
    [DurationTransformation(Positive = true)]
    public TimeSpan EndpointWatch { get; set; } = FailoverOptions.DefaultEndpointWatch;

    [Parameter(HelpMessage = "Drill history folder the drill is recorded in (default DRTOOLS_HISTORY or ~/.local/share/drtools/history).")]
    public string? HistoryPath { get; set; }

    [Parameter(HelpMessage = "Do not record the drill in the drill history (journal.json, reports, history.jsonl).")]
    public SwitchParameter NoHistory { get; set; }

    protected override void ProcessRecord()
    {
        var probe = new ProbeOptions { Rate = ProbeRate, Clients = ProbeClients };
        // -ProbeRate is each client's: together they may not pass the most a probe attempts.
        RunOperation(_ => { probe.Check(); return Task.CompletedTask; });
        var options = new FailoverOptions
        {
            Mode = Enum.Parse<FailoverMode>(Mode, ignoreCase: true),
            Candidate = Candidate,
            Rejoin = Rejoin,
            RtoTarget = Rto,
            RpoTarget = Rpo,
            MaxStaleReads = MaxStaleReads,
            WriteProbe = probe with { ConnectionString = ProbeConnectionString },
            ReadProbe = probe with { ConnectionString = ReadProbeConnectionString },
            CheckIntegrity = !SkipIntegrity,
            IntegrityTables = IntegrityTable,
            PhaseTimeout = PhaseTimeout,
            EndpointWatch = EndpointWatch,
            FaultDuration = FaultDuration,
            HttpProbe = HttpProbeOptions(),
        };
        options = RunOperation(_ => Task.FromResult(DrillFaults.With(options, Fault, TextValues(FaultParameter)) with
        {
            ExpectAlert = AlertExpectation.From(ExpectAlert, Sandbox, Prometheus, Alertmanager, TextValues(AlertLabel), AlertWithin),
        }));
        var store = RunOperation(_ => Task.FromResult(ResolveStore(AllowDrillOn)));
        var recoveredBy = RecoveredBy is null ? (Core.Failover.RecoveredBy?)null : Enum.Parse<Core.Failover.RecoveredBy>(RecoveredBy,
            ignoreCase: true);
        // The fault script runs on this pipeline, through the queue of the drill while it runs.
        PipelineQueue? pipeline = null;
        var recovery = RunOperation(_ => Task.FromResult(Recovery.For(
            store is Core.Postgres.DbTarget postgres ? WithPatroni(postgres, Patroni) : store, Sandbox,
            new RecoveryRequest(name => $"-{char.ToUpperInvariant(name[0])}{name[1..]}")
            {
                RecoveredBy = recoveredBy,
                PatroniGiven = Patroni is not null,
                DataDirectories = DataDirectory,
                FaultCommand = FaultCommand,
                StopCommand = StopCommand,
                FaultScript = FaultScript is null ? null
                    : token => pipeline!.InvokeAsync(() => StepScript.BaseObjects(StepScript.Invoke(FaultScript, [], token)) is { } output
                        ? $"the fault script: {output}" : "the fault script", token),
            })));
        // The plan reads the cluster and changes nothing: ShouldProcess then names the real primary and candidate.
        var plan = RunOperation(token => recovery.PlanAsync(options, token), store.Name);
        if (!ShouldProcess(plan.ToString(), $"{plan.Action}. Continue?", "Invoke-DbFailover")) return;
        // Inside a run's step the run records the drill, history included, and a drill that throws as a failed step.
        var recorded = !NoHistory && !StepScript.Running;
        var historyRoot = HistoryPath is null ? null : GetUnresolvedProviderPathFromPSPath(HistoryPath);
        // The servers' folders on this machine: a drill stopped by one's full disk failed for the disk, as drtools failover says.
        var disks = RunOperation(_ => Task.FromResult(DiskRoom.OfDrill(Sandbox, DataDirectory)));
        var result = RunWithProgress($"{plan.Mode} of {plan.Target.Name}", async (queue, progress, token) =>
        {
            pipeline = queue;
            var clock = new MonotonicClock();
            try
            {
                try
                {
                    return await recovery.RunAsync(plan, options with { Progress = progress }, token);
                }
                catch (Exception e) when (recorded && !token.IsCancellationRequested && FailoverJournal.Began(e))
                {
                    // Recorded before the error ends the cmdlet, as a run records a drill step that throws; said on the
                    // pipeline thread.
                    Record(() => FailoverJournal.RecordFailure(e, plan, clock.StartedAt, clock.Elapsed, historyRoot, "Invoke-DbFailover"),
                        queue.Post);
                    throw;
                }
            }
            catch (Exception e) when (!token.IsCancellationRequested && DiskRoom.MayHideAFullDisk(e))
            {
                DiskRoom.ThrowIfDrillStopped(disks, e.Message, e);
                throw;
            }
        }, plan.Target.Name);
        WriteObject(result);
        if (recorded) Record(() => FailoverJournal.Record(result, historyRoot, "Invoke-DbFailover"), write => write());
        // Shown and recorded first, as drtools failover prints the result before the error.
        if (!result.Met)
        {
            RunOperation(_ => { DiskRoom.ThrowIfDrillStopped(disks, "drill FAILED"); return Task.CompletedTask; }, plan.Target.Name);
        }
    }

    /// <summary>
    /// Records the drill in the drill history as a run of its own; it ran either way, so a failure to record is a warning,
    /// written through <paramref name="onPipeline"/>.
    /// </summary>
    private void Record(Func<RunJournal> record, Action<Action> onPipeline)
    {
        try
        {
            var journal = record();
            onPipeline(() => WriteVerbose($"journal, reports and probe history: {journal.Folder}"));
        }
        catch (Exception e) when (e is DrToolsException or IOException or UnauthorizedAccessException)
        {
            onPipeline(() => WriteWarning($"the drill ran, but it could not be recorded in the drill history: {e.Message}"));
        }
    }
}
