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
    [Parameter]
    [ValidateSet(nameof(FailoverMode.Switchover), nameof(FailoverMode.Failover))]
    public string Mode { get; set; } = nameof(FailoverMode.Switchover);

    [Parameter]
    [ArgumentCompleter(typeof(MemberCompleter))]
    public string? Candidate { get; set; }

    [Parameter]
    public SwitchParameter Rejoin { get; set; }

    [Parameter]
    [Alias("RtoSeconds")]
    [DurationTransformation(Long = true)]
    public TimeSpan? Rto { get; set; }

    [Parameter]
    [Alias("RpoSeconds")]
    [DurationTransformation(Long = true)]
    public TimeSpan? Rpo { get; set; }

    [Parameter]
    [ValidateRange(0, 1_000_000)]
    public int? MaxStaleReads { get; set; }

    [Parameter]
    [ValidateRange(ProbeOptions.MinRate, ProbeOptions.MaxRate)]
    public double ProbeRate { get; set; } = ProbeOptions.DefaultRate;

    [Parameter]
    [ValidateRange(ProbeOptions.MinClients, ProbeOptions.MaxClients)]
    public int ProbeClients { get; set; } = ProbeOptions.DefaultClients;

    [Parameter]
    public string? ProbeConnectionString { get; set; }

    [Parameter]
    public string? ReadProbeConnectionString { get; set; }

    [Parameter]
    public string[]? IntegrityTable { get; set; }

    [Parameter]
    public SwitchParameter SkipIntegrity { get; set; }

    [Parameter]
    public string? FaultCommand { get; set; }

    [Parameter]
    public string? StopCommand { get; set; }

    [Parameter(ParameterSetName = ConnectionSet)]
    public string[]? DataDirectory { get; set; }

    [Parameter(ParameterSetName = ConnectionSet)]
    public string[]? AllowDrillOn { get; set; }

    [Parameter(ParameterSetName = ConnectionSet)]
    [ValidateNotNullOrEmpty]
    public string[]? Patroni { get; set; }

    [Parameter]
    [ValidateSet(nameof(Core.Failover.RecoveredBy.DrTools), nameof(Core.Failover.RecoveredBy.Patroni),
        nameof(Core.Failover.RecoveredBy.External), nameof(Core.Failover.RecoveredBy.Sentinel))]
    public string? RecoveredBy { get; set; }

    [Parameter]
    public ScriptBlock? FaultScript { get; set; }

    [Parameter]
    [ValidateSet(nameof(NodeFault.KillPostgres), nameof(NodeFault.KillNode), nameof(NodeFault.FreezeNode), nameof(NodeFault.StopPatroni),
        nameof(Core.Faults.FaultKind.Partition), nameof(Core.Faults.FaultKind.PacketLoss), nameof(Core.Faults.FaultKind.Freeze),
        nameof(Core.Faults.FaultKind.Kill), nameof(Core.Faults.FaultKind.Command), nameof(Core.Faults.FaultKind.ConnectionExhaustion),
        nameof(Core.Faults.FaultKind.DiskFull), nameof(Core.Faults.FaultKind.Latency), nameof(Core.Faults.FaultKind.Jitter),
        nameof(Core.Faults.FaultKind.Bandwidth), nameof(Core.Faults.FaultKind.ResetConnections), nameof(Core.Faults.FaultKind.Blackhole))]
    public string? Fault { get; set; }

    [Parameter]
    public System.Collections.Hashtable? FaultParameter { get; set; }

    [Parameter]
    [DurationTransformation(Positive = true)]
    public TimeSpan? FaultDuration { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ExpectAlert { get; set; }

    [Parameter]
    [DurationTransformation(Positive = true)]
    public TimeSpan? AlertWithin { get; set; }

    [Parameter]
    public System.Collections.Hashtable? AlertLabel { get; set; }

    [Parameter]
    public string? Alertmanager { get; set; }

    [Parameter]
    public string? Prometheus { get; set; }

    [Parameter]
    [DurationTransformation(Positive = true)]
    public TimeSpan PhaseTimeout { get; set; } = TimeSpan.FromSeconds(60);

    [Parameter]
    [DurationTransformation(Positive = true)]
    public TimeSpan EndpointWatch { get; set; } = FailoverOptions.DefaultEndpointWatch;

    [Parameter]
    public string? HistoryPath { get; set; }

    [Parameter]
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
