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
    [Parameter(Mandatory = true)]
    [ValidateSet(nameof(FaultKind.Partition), nameof(FaultKind.PacketLoss), nameof(FaultKind.Freeze), nameof(FaultKind.Kill),
        nameof(FaultKind.ReplicationDelay), nameof(FaultKind.Command), nameof(FaultKind.ConnectionExhaustion),
        nameof(FaultKind.DiskFull), nameof(FaultKind.Latency), nameof(FaultKind.Jitter), nameof(FaultKind.Bandwidth),
        nameof(FaultKind.ResetConnections), nameof(FaultKind.Blackhole))]
    public string Kind { get; set; } = "";

    [Parameter]
    [ArgumentCompleter(typeof(MemberCompleter))]
    public string? Member { get; set; }

    [Parameter]
    public Hashtable? Parameter { get; set; }

    [Parameter]
    [DurationTransformation(Positive = true)]
    public TimeSpan? Duration { get; set; }

    [Parameter(ParameterSetName = ConnectionSet)]
    public string[]? AllowDrillOn { get; set; }

    [Parameter(ParameterSetName = ConnectionSet)]
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
