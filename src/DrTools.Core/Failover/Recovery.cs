using DrTools.Core.Patroni;
using DrTools.Core.Postgres;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Failover;

public static class Recovery
{
    /// <summary>
    /// The recovery a drill on <paramref name="target"/> gets. A PostgreSQL cluster: Patroni by default on a Patroni sandbox
    /// or a cluster whose Patroni REST APIs were given, DrTools itself on any other; another store: its own choice (see
    /// <see cref="Engines.IReplicaSet.Recovery"/>), what only PostgreSQL's drills take refused by name. The request's
    /// recoverer chooses explicitly and is refused where it cannot work.
    /// </summary>
    public static IRecovery For(Engines.IDrillTarget target, Sandbox? sandbox, RecoveryRequest request)
    {
        IRecovery drill;
        switch (target)
        {
            case Engines.IReplicaSet store:
                var given = request.PostgresOnly().Where(o => o.Given).Select(o => o.Option).ToList();
                if (given.Count > 0)
                {
                    throw DrToolsException.Refused($"{string.Join(", ", given)}: for PostgreSQL drills only; {store.Name} is a "
                        + $"{store.Engine} cluster", DrErrorKind.InvalidArgument);
                }
                drill = store.Recovery(request.RecoveredBy);
                break;
            case DbTarget postgres:
                drill = Choose(postgres, sandbox, request.RecoveredBy, request.DataDirectories, request.FaultCommand, request.StopCommand,
                    request.FaultScript);
                break;
            default:
                throw new System.Diagnostics.UnreachableException($"no recovery for {target.GetType().Name}");
        }
        return Observe(drill, target, sandbox);
    }

    /// <summary>The recovery of a drill on a PostgreSQL cluster (see <see cref="For(Engines.IDrillTarget, Sandbox?, RecoveryRequest)"/>).
    /// </summary>
    /// <param name="faultScript">With an unknown HA manager: the user's own action (a PowerShell script block) instead of <paramref
    /// name="faultCommand"/>.</param>
    public static IRecovery For(DbTarget target, Sandbox? sandbox, RecoveredBy? recoveredBy, IReadOnlyList<string>? dataDirectories,
        string? faultCommand, string? stopCommand, Func<CancellationToken, Task<string>>? faultScript = null) =>
        Observe(Choose(target, sandbox, recoveredBy, dataDirectories, faultCommand, stopCommand, faultScript), target, sandbox);

    /// <summary>
    /// A drill of any store, alone on <paramref name="target"/> (the drill lock of <paramref name="sandbox"/>, or of the
    /// target's servers), with what its options ask to watch beside it: the application's HTTP probe, the alert it expects.
    /// </summary>
    public static IRecovery Observe(IRecovery drill, Engines.IDrillTarget target, Sandbox? sandbox) => new Observed(drill, target, sandbox);

    private static IRecovery Choose(DbTarget target, Sandbox? sandbox, RecoveredBy? recoveredBy, IReadOnlyList<string>? dataDirectories,
        string? faultCommand, string? stopCommand,
        Func<CancellationToken, Task<string>>? faultScript)
    {
        var patroni = PatroniCluster.For(target, sandbox);
        if (faultScript is not null
            && recoveredBy != RecoveredBy.External) throw new DrToolsException("a fault script is the action of a drill an unknown HA "
            + "manager recovers (-RecoveredBy External).", DrErrorKind.InvalidArgument);
        switch (recoveredBy ?? (patroni is null ? RecoveredBy.DrTools : RecoveredBy.Patroni))
        {
            case RecoveredBy.External when faultCommand is null == faultScript is null || stopCommand is not null
                || dataDirectories is { Count: > 0 }:
                throw new DrToolsException("recovered by External: give the one action that fails the writer over or switches it — a fault "
                    + "command (-FaultCommand / --fault-command; in PowerShell also -FaultScript) — and no stop command or data "
                    + "directories.", DrErrorKind.InvalidArgument);
            case RecoveredBy.External:
                var writer = target.Members[0];
                var act = faultScript ?? (token => new CommandControl(faultCommand, null).InjectFaultAsync(writer, token));
                return new ExternalRecovery(target, act, faultCommand is null ? "the fault script" : $"the command '{faultCommand}'");
            case RecoveredBy.Patroni when patroni is null:
                throw new DrToolsException($"recovered by Patroni: {target.Name} is neither a Patroni sandbox (New-DrSandbox -Topology "
                    + $"Patroni / sandbox up --topology patroni) nor a cluster whose Patroni REST APIs are given (-Patroni / --patroni "
                    + $"http://HOST:8008).", DrErrorKind.InvalidArgument);
            case RecoveredBy.Patroni when stopCommand is not null || dataDirectories is { Count: > 0 }:
                throw new DrToolsException("recovered by Patroni: Patroni stops and rewinds its nodes itself; a stop command and data "
                    + "directories are for drills DrTools recovers.", DrErrorKind.InvalidArgument);
            case RecoveredBy.Patroni:
                return new PatroniRecovery(target, patroni, faultCommand);
            default:
                return new DrToolsRecovery(target, MemberControls.For(sandbox, dataDirectories, faultCommand, stopCommand), (spec,
                    member) =>
                {
                    if (faultCommand is not null) throw new DrToolsException($"give one fault: the fault command or {spec.Kind} from the "
                        + $"fault library, not both.", DrErrorKind.InvalidArgument);
                    return Faults.FaultTargets.Resolve(spec.Kind, target, sandbox, member.Name, spec.Parameters, dataDirectories);
                });
        }
    }

    /// <summary>Any drill, with what the options ask to watch beside it: the application's HTTP probe, the alert it expects.</summary>
    private sealed class Observed(IRecovery drill, Engines.IDrillTarget target, Sandbox? sandbox) : IRecovery
    {
        public RecoveredBy RecoveredBy => drill.RecoveredBy;

        public async Task<FailoverPlan> PlanAsync(FailoverOptions options, CancellationToken cancellationToken)
        {
            // A target not allowed for drills is refused before the lock connects to it.
            Engines.DrillTargets.DemandDrillAllowed(target, options.Mode.ToString().ToLowerInvariant());
            // A plan read while another drill changes the cluster would be wrong: that drill is named instead.
            await (await DrillLock.AcquireAsync(target, sandbox, "planning a drill", cancellationToken)).DisposeAsync();
            return await drill.PlanAsync(options, cancellationToken);
        }

        public async Task<FailoverResult> RunAsync(FailoverPlan plan, FailoverOptions options, CancellationToken cancellationToken)
        {
            Engines.DrillTargets.DemandDrillAllowed(target, options.Mode.ToString().ToLowerInvariant());
            await using var alone = await DrillLock.AcquireAsync(target, sandbox, plan.Action, cancellationToken);
            // A drill that ran between the plan and the lock may have moved the primary: the plan would act on the wrong members.
            var now = await drill.PlanAsync(options, cancellationToken);
            if (now.Primary != plan.Primary)
            {
                throw DrToolsException.RefusedAfter($"{plan.Mode} of {target.Name} refused: the primary is {now.Primary} now, "
                    + $"it was {plan.Primary} when the drill was planned (another drill ran in between?). Plan again",
                    DrErrorKind.InvalidOperation);
            }
            return await (options.ExpectAlert is { } alert
                ? Monitoring.DrillAlerts.WatchAsync(alert, options, (watched, token) => HttpProbedAsync(plan, watched, token),
                    cancellationToken)
                : HttpProbedAsync(plan, options, cancellationToken));
        }

        private async Task<FailoverResult> HttpProbedAsync(FailoverPlan plan, FailoverOptions options, CancellationToken cancellationToken)
        {
            if (options.HttpProbe is not { } http) return await drill.RunAsync(plan, options, cancellationToken);
            await using var probe = Probes.HttpProbe.Start(http, new MonotonicClock());
            var result = await drill.RunAsync(plan, options, cancellationToken);
            return result with { HttpProbe = await probe.StopAsync() };
        }
    }

    private sealed class ExternalRecovery(DbTarget target, Func<CancellationToken, Task<string>> act, string action) : IRecovery
    {
        public RecoveredBy RecoveredBy => RecoveredBy.External;
        public Task<FailoverPlan> PlanAsync(FailoverOptions options, CancellationToken cancellationToken) =>
            options.LibraryFault is { } library
            ? throw new DrToolsException($"recovered by External: the action is the fault command or script; {library.Kind} from the fault "
                + $"library is for drills DrTools recovers.", DrErrorKind.InvalidArgument)
            : ExternalDrill.PlanAsync(target, action, options, cancellationToken);
        public Task<FailoverResult> RunAsync(FailoverPlan plan, FailoverOptions options, CancellationToken cancellationToken) =>
            ExternalDrill.RunAsync(plan, act, options, cancellationToken);
    }

    /// <param name="request">The fault library's request for a fault on a member.</param>
    private sealed class DrToolsRecovery(DbTarget target, IMemberControl control, Func<Faults.FaultSpec, DbMember,
        Faults.FaultRequest> request) : IRecovery
    {
        public RecoveredBy RecoveredBy => RecoveredBy.DrTools;

        public Task<FailoverPlan> PlanAsync(FailoverOptions options, CancellationToken cancellationToken) => FailoverDrill.PlanAsync(target,
            For(options), options, cancellationToken);

        public async Task<FailoverResult> RunAsync(FailoverPlan plan, FailoverOptions options, CancellationToken cancellationToken)
        {
            var drill = For(options);
            try
            {
                return await FailoverDrill.RunAsync(plan, drill, options, cancellationToken);
            }
            finally
            {
                if (drill is IAsyncDisposable held) await held.DisposeAsync();
            }
        }

        private IMemberControl For(FailoverOptions options) =>
            options.Mode == FailoverMode.Failover && options.LibraryFault is { } spec ? new FaultControl(control, spec,
                member => request(spec, member)) : control;
    }

    private sealed class PatroniRecovery(DbTarget target, PatroniCluster cluster, string? faultCommand) : IRecovery
    {
        public RecoveredBy RecoveredBy => RecoveredBy.Patroni;
        public Task<FailoverPlan> PlanAsync(FailoverOptions options, CancellationToken cancellationToken) => PatroniDrill.PlanAsync(cluster,
            target, faultCommand, options, cancellationToken);
        public Task<FailoverResult> RunAsync(FailoverPlan plan, FailoverOptions options, CancellationToken cancellationToken) =>
            PatroniDrill.RunAsync(cluster, faultCommand, plan, options, cancellationToken);
    }
}
