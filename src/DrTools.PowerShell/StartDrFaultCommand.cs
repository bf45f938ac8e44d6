using System.Collections;
using System.Management.Automation;
using DrTools.Core.Faults;

namespace DrTools.PowerShell;

/// <summary>
/// Injects a fault on a member — a partition, packet loss, a freeze, a kill, a replication delay or the user's own
/// command — recorded so it is always undone: with -Duration, held and undone before the cmdlet returns (Ctrl+C
/// undoes it too); without, in effect until Stop-DrFault (or Stop-DrFault -All after a killed session).
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "DrFault", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High,
    DefaultParameterSetName = ConnectionSet)]
[OutputType(typeof(FaultRecord), typeof(FaultEnd))]
public sealed class StartDrFaultCommand : ProbedTargetCmdlet
{
    // A string, not FaultKind: PowerShell lays out cmdlet types before the module initializer can resolve DrTools.Core.
    [Parameter(Mandatory = true,
        HelpMessage = "Partition, PacketLoss, Freeze, Kill, ReplicationDelay, Command, ConnectionExhaustion, DiskFull, and through a "
        + "sandbox's fault proxy Latency, Jitter, Bandwidth, ResetConnections or Blackhole.")]
    [ValidateSet(nameof(FaultKind.Partition), nameof(FaultKind.PacketLoss), nameof(FaultKind.Freeze), nameof(FaultKind.Kill),
        nameof(FaultKind.ReplicationDelay), nameof(FaultKind.Command), nameof(FaultKind.ConnectionExhaustion),
        nameof(FaultKind.DiskFull), nameof(FaultKind.Latency), nameof(FaultKind.Jitter), nameof(FaultKind.Bandwidth),
        nameof(FaultKind.ResetConnections), nameof(FaultKind.Blackhole))]
    public string Kind { get; set; } = "";

    [Parameter(HelpMessage = "The member to inject the fault on (name or host:port); default the primary.")]
    [ArgumentCompleter(typeof(MemberCompleter))]
    public string? Member { get; set; }

    [Parameter(HelpMessage = "The kind's parameters, e.g. @{ from = 'node0' }, @{ percent = 30 }, @{ delay = '30s' }, @{ start = '...'; "
        + "undo = '...' }.")]
    public Hashtable? Parameter { get; set; }

    [Parameter(HelpMessage = "How long the fault lasts, e.g. 10s: the cmdlet returns once it is undone. Without it, the fault lasts until "
        + "Stop-DrFault.")]
    [DurationTransformation(Positive = true)]
    public TimeSpan? Duration { get; set; }

    [Parameter(ParameterSetName = ConnectionSet,
        HelpMessage = "host:port of every member this fault may act on: a cluster other than a sandbox is refused unless each member is "
        + "named here (or in DRTOOLS_ALLOW_DRILL_ON).")]
    public string[]? AllowDrillOn { get; set; }

    [Parameter(ParameterSetName = ConnectionSet,
        HelpMessage = "MEMBER=DIRECTORY: data directories on this machine of members whose processes the fault acts on (Freeze, a "
        + "partition of their own connections).")]
    public string[]? DataDirectory { get; set; }

    protected override void ProcessRecord()
    {
        var parameters = TextValues(Parameter);
        var http = HttpProbeOptions();
        if (http is not null
            && Duration is null) ThrowTerminatingError(new ErrorRecord(new ArgumentException("-HttpProbe runs while a fault is held: give "
            + "-Duration too."), "HttpProbeNeedsDuration", ErrorCategory.InvalidArgument, HttpProbe));
        var target = ResolveTarget(AllowDrillOn);
        var request = RunOperation(token => FaultTargets.ResolveAsync(Enum.Parse<FaultKind>(Kind, ignoreCase: true), target, Sandbox,
            Member, parameters, DataDirectory, token), target.Name);
        // Planning checks everything and changes nothing: ShouldProcess then names exactly what will be done.
        var description = RunOperation(_ => Task.FromResult(Faults.Plan(request)), target.Name);
        if (!ShouldProcess(description,
            $"Inject: {description}{(Duration is { } lasting ? $" for {Core.DurationText.Format(lasting)}" : ", until Stop-DrFault")}. "
            + $"Continue?", "Start-DrFault")) return;
        if (Duration is not { } duration)
        {
            WriteObject(RunOperation(token => Faults.StartAsync(request, null, token), target.Name));
            return;
        }
        WriteObject(RunOperation(token => Faults.HoldAsync(request, duration, http, token), target.Name));
    }
}
