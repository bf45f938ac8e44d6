using DrTools.Core.Cluster;
using DrTools.Core.Failover;
using DrTools.Core.Integrity;
using DrTools.Core.Postgres;
using DrTools.Core.Probes;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Patroni;

/// <summary>
/// A drill in which Patroni recovers: DrTools asks Patroni for a switchover or injects a fault on the leader's node,
/// then only observes — Patroni's REST API, PostgreSQL and HAProxy's routing — while the write and read probes go the
/// application's way (a sandbox's HAProxy, or the probe connection string given). DrTools never promotes or rewinds
/// anything here; it brings a sandbox node it stopped back (starts its Patroni, thaws it) and Patroni rejoins it.
/// </summary>
internal static partial class PatroniDrill
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    public static async Task<FailoverPlan> PlanAsync(PatroniCluster cluster, DbTarget target, string? faultCommand, FailoverOptions options,
        CancellationToken cancellationToken)
    {
        target.DemandDrillAllowed(options.Mode.ToString().ToLowerInvariant());
        if (options.LibraryFault is { } library)
        {
            throw new DrToolsException($"{library.Kind} with Patroni recovering: not supported yet; the fault is one of "
                + $"{string.Join(", ", Enum.GetNames<NodeFault>())} or a fault command.", DrErrorKind.InvalidArgument);
        }
        var status = await ClusterInspector.GetStatusAsync(target, cancellationToken);
        var view = await cluster.ViewAsync(cancellationToken)
            ?? throw DrToolsException.Refused($"{options.Mode} of {cluster.Name} refused: no Patroni REST API answered ({status.Verdict})");
        var leader = view.Leader
            ?? throw new DrToolsException($"{options.Mode} of {cluster.Name} refused: Patroni has no leader ({status.Verdict}). Nothing "
            + $"was changed.", DrErrorKind.InvalidOperation);
        target = cluster.Named(target, view);
        string? candidate = null;
        if (options.Mode == FailoverMode.Switchover)
        {
            var replicas = view.Members.Where(m => !m.IsLeader && m.State is "running" or "streaming").ToList();
            candidate = options.Candidate is { } chosen
                ? replicas.FirstOrDefault(m => m.Name == chosen || $"{m.Host}:{m.Port}" == chosen)?.Name
                    ?? throw DrToolsException.Refused($"candidate '{chosen}' is not a running replica of {cluster.Name} (replicas: "
                        + $"{string.Join(", ", replicas.Select(r => r.Name))})", DrErrorKind.InvalidArgument)
                : replicas.MinBy(m => m.LagBytes ?? long.MaxValue)?.Name
                    ?? throw new DrToolsException($"switchover of {cluster.Name} refused: Patroni has no running replica. Nothing was "
                        + $"changed.");
        }
        var fault = new NodeFaultInjection(cluster, leader.Name, options.Fault, faultCommand);
        var freezes = options.Mode == FailoverMode.Failover && faultCommand is null && options.Fault == NodeFault.FreezeNode;
        if (options.Mode == FailoverMode.Failover) fault.DemandInjectable();
        var steps = new List<string>
        {
            $"start a write probe ({options.WriteProbe.Rate}/s inserts into {Probe.Table}) {cluster.ApplicationPath(options).Description}",
            options.Mode == FailoverMode.Switchover
                ? $"ask Patroni for a switchover from {leader.Name} to {candidate} (POST /switchover)"
                : $"inject the fault on the leader: "
                    + $"{fault.Description}{(freezes ? $" after {DurationText.Format(FreezeDuration(cluster.Sandbox!, options))}" : "")}",
            $"observe, every {DurationText.Format(Poll)}, until Patroni has a leader that accepts "
                + $"writes{(cluster.HaproxyStats is null ? "" : " through HAProxy")}, at most {DurationText.Format(options.PhaseTimeout)}: "
                + $"DrTools promotes nothing",
        };
        if (view.Paused) steps.Add("NOTE: Patroni is paused (maintenance mode): it will not fail over");
        if (options.Mode == FailoverMode.Switchover || options.Rejoin)
        {
            steps.Add($"wait until Patroni has {leader.Name} back as a streaming "
                + $"replica{(cluster.Sandbox is null ? "" : " (starting its Patroni again when the fault stopped it)")}");
        }
        steps.Add(PostgresSettling.Step);
        steps.Add($"measure detection, promotion{(cluster.HaproxyStats is null ? "" : ", HAProxy switch")}, write unavailability and lost "
            + $"acknowledged writes from the probes; compare checksums; read the topology");
        return new FailoverPlan(target, options.Mode, leader.Name, candidate, steps, status)
        {
            Recovery = options.Mode == FailoverMode.Switchover
                ? $"Switchover by Patroni: {leader.Name} hands over to {candidate}"
                : $"Failover by Patroni: {(faultCommand is null ? options.Fault.ToString() : $"the fault command '{faultCommand}'")} on "
                    + $"the leader {leader.Name}, Patroni elects the new leader",
        };
    }

    /// <summary>
    /// What a sandbox node's Patroni and PostgreSQL said last, past the refusals its starting server gives every probe:
    /// why a node stays "starting" is in its log, not in Patroni's state.
    /// </summary>
    private static string RecentLog(Sandbox? sandbox, string node)
    {
        if (sandbox?.Members.FirstOrDefault(m => m.Name == node) is not { } member || !File.Exists(member.LogFile)) return "";
        string[] noise = ["the database system is starting up", "not yet accepting connections", "has not been yet reached",
            "Exception happened during processing of request"];
        var lines = File.ReadLines(member.LogFile)
            .Where(l => (l.Contains("LOG:", StringComparison.Ordinal) || l.Contains("INFO:", StringComparison.Ordinal)
                || l.Contains("ERROR:", StringComparison.Ordinal) || l.Contains("FATAL:", StringComparison.Ordinal))
                && !noise.Any(n => l.Contains(n, StringComparison.Ordinal)))
            .TakeLast(4).Select(PrintableText.OneLine);
        return $". Its log ({member.LogFile}) ends: {string.Join(" | ", lines)}";
    }

    private static TimeSpan FreezeDuration(Sandbox sandbox, FailoverOptions options) =>
        options.FaultDuration ?? TimeSpan.FromSeconds(2 * int.Parse(sandbox.PatroniSettingValues.GetValueOrDefault("ttl", "30"),
            System.Globalization.CultureInfo.InvariantCulture));

    public static async Task<FailoverResult> RunAsync(PatroniCluster cluster, string? faultCommand, FailoverPlan plan,
        FailoverOptions options, CancellationToken cancellationToken)
    {
        var target = plan.Postgres;
        var oldLeader = target.Member(plan.Primary);
        await using var run = new FailoverRun(options);
        await Probe.PrepareAsync(oldLeader, cancellationToken);
        var before = options.CheckIntegrity ? await DbChecksums.TakeAsync(oldLeader, options.IntegrityTables, cancellationToken) : null;
        var probes = cluster.ApplicationPath(options).Probes;
        run.StartProbes(kind => Probe.Start(kind, run.RunId, target, kind == ProbeKind.Write ? probes.Write : probes.Read, run.Clock));
        await using var roles = PostgresSettling.Start(target, run.Clock);
        await using var fault = new NodeFaultInjection(cluster, plan.Primary, options.Fault, faultCommand);
        var phases = new Phases(cluster, plan, options, run, roles, fault);
        var logEnds = cluster.LogEnds();
        try
        {
            await run.BaselineAsync(null, cancellationToken);
            await phases.ActAsync(cancellationToken);
            await phases.ObserveRecoveryAsync(cancellationToken);
            if (plan.Mode == FailoverMode.Switchover || options.Rejoin) await phases.WaitForRejoinAsync(cancellationToken);
            await phases.SettleAsync(cancellationToken);
        }
        catch (Exception e)
        {
            await run.StopProbesAsync();
            if (fault.Thaw() is { } thawed) run.Timeline.Mark("node thawed", thawed);
            var status = await ClusterInspector.GetStatusAsync(target, CancellationToken.None);
            var happened = string.Join("; ",
                run.Timeline.Events.Select(t => $"+{t.At.TotalSeconds:0.000}s {t.Name}{(t.Detail is null ? "" : $": {t.Detail}")}"));
            throw await run.FailedAsync(e is OperationCanceledException
                ? new OperationCanceledException($"{plan.Mode} drill (Patroni recovering) cancelled. Cluster now: {status.Verdict}", e)
                : new DrToolsException($"{plan.Mode} drill (Patroni recovering) failed: "
                    + $"{(e is DrToolsException known ? known.Message : e.Message)} What happened: {happened}. "
                    + $"Cluster now: {status.Verdict}.{cluster.LoggedSince(logEnds)}", DrErrorKind.InvalidOperation, e));
        }
        return await run.MeasureAsync(() => phases.ResultAsync(before, cancellationToken));
    }
}
