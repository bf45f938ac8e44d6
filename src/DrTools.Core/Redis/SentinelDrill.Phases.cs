using DrTools.Core.Cluster;
using DrTools.Core.Failover;
using DrTools.Core.Processes;
using DrTools.Core.Probes;

namespace DrTools.Core.Redis;

public sealed partial class SentinelDrill
{
    /// <summary>
    /// The phases of a drill the Sentinels recover, over the skeleton <see cref="FailoverRun"/> gives every drill: DrTools
    /// injects the fault (or asks for the switchover) and observes.
    /// </summary>
    private sealed class Phases(SentinelDrill drill, RedisCluster cluster, IRedisProcesses processes, FailoverPlan plan,
        FailoverOptions options, FailoverRun run, RoleWatch roles)
    {
        private readonly RedisMember _primary = cluster.Member(plan.Primary);
        private TimeSpan _namedAt;
        private RedisMember? _named;
        private RedisMember? _settled;
        private TimeSpan _since;
        private SplitBrainWindow? _split;
        private Measurement? _neverSettled;

        public TimeSpan Fault { get; private set; }

        /// <summary>The primary's redis-server while this drill holds it stopped (FreezeNode).</summary>
        public int? Frozen { get; private set; }

        public async Task ActAsync(CancellationToken cancellationToken)
        {
            run.Enter("the fault", 25);
            var toFreeze = options.Mode == FailoverMode.Failover && options.Fault == NodeFault.FreezeNode
                ? processes.Pid(_primary.Name)
                    ?? throw new DrToolsException($"redis-server of {_primary.Display} is not running.", DrErrorKind.InvalidOperation)
                : (int?)null;
            Fault = run.Clock.Elapsed;
            if (options.Mode == FailoverMode.Switchover)
            {
                run.Timeline.Mark("switchover requested",
                    $"SENTINEL FAILOVER {RedisEngine.SentinelMaster} on {cluster.Sentinels[0].Display}", Fault);
                await cluster.Sentinels[0].CommandAsync(cancellationToken, "SENTINEL", "FAILOVER", RedisEngine.SentinelMaster);
                run.Timeline.Mark("the Sentinel accepted the switchover");
                return;
            }
            run.Timeline.Mark(Timeline.FaultIssued, SentinelDrill.Fault(options, _primary.Display), Fault);
            if (toFreeze is { } stopped)
            {
                ProcessTable.Signal(stopped, ProcessTable.SigStop);
                Frozen = stopped;
                run.Timeline.Mark(Timeline.FaultCompleted, $"SIGSTOP of redis-server (PID {stopped}) of {_primary.Display}");
            }
            else run.Timeline.Mark(Timeline.FaultCompleted, await processes.KillAsync(_primary.Name, cancellationToken));
        }

        /// <summary>Until the Sentinels name another primary, then the first write after it.</summary>
        public async Task WaitForNamedPrimaryAsync(CancellationToken cancellationToken)
        {
            run.Enter("waiting for the Sentinels' new primary", 40);
            var announced = "";
            await Polling.RequireAsync(async () => !ClusterInspector.SameEndpoint(
                    announced = await drill.SentinelPrimaryAsync(cancellationToken), _primary.Endpoint),
                options.PhaseTimeout, TimeSpan.FromMilliseconds(10),
                () => $"the Sentinels still named {announced} the primary after {DurationText.Format(options.PhaseTimeout)}.",
                cancellationToken);
            _namedAt = run.Clock.Elapsed;
            _named = cluster.Members.First(m => ClusterInspector.SameEndpoint(m.Endpoint, announced));
            run.Timeline.Mark("Sentinels named a new primary", _named.Display, _namedAt);
            var first = await run.Writes.WaitForSuccessAsync(_namedAt, options.PhaseTimeout, cancellationToken);
            if (first is null)
            {
                run.Timeline.Mark("no write acknowledged by the new primary", $"within {DurationText.Format(options.PhaseTimeout)}");
            }
        }

        /// <summary>A frozen primary thawed when its freeze ends (the Sentinels make it a replica), or a killed one restarted.</summary>
        public async Task ThawOrRejoinAsync(CancellationToken cancellationToken)
        {
            if (Frozen is { } pid)
            {
                var thawAt = Fault + FreezeFor(options);
                if (thawAt > run.Clock.Elapsed) await Task.Delay(thawAt - run.Clock.Elapsed, cancellationToken);
                ProcessTable.Signal(pid, ProcessTable.SigCont);
                Frozen = null;
                run.Timeline.Mark("node thawed", $"SIGCONT of redis-server (PID {pid}); the Sentinels make it a replica");
            }
            else if (options.Mode == FailoverMode.Failover && options.Rejoin)
            {
                await processes.StartAsReplicaAsync(_primary.Name, _named!, cancellationToken);
                run.Timeline.Mark("old primary restarted as a replica", _primary.Display);
            }
            await Task.Delay(options.Settle, cancellationToken);
        }

        /// <summary>
        /// The Sentinels' answer is their belief: the probes run on until the servers themselves agree on one primary that
        /// takes writes (a demoted old master can acknowledge writes for seconds after the Sentinels named another).
        /// </summary>
        public async Task SettleAsync(CancellationToken cancellationToken)
        {
            run.Enter("waiting until the new topology holds", 85);
            var topology = await roles.WaitSettledAsync((member, token) => Settling.ReadBackAsync(run.Writes, Fault, member,
                async (at, sequence, t) => await cluster.Member(at).CommandAsync(t, "HEXISTS", RedisCluster.ProbeKey(run.RunId),
                    sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)) is 1L, token),
                _named!.Endpoint, options.PhaseTimeout, cancellationToken);
            _neverSettled = topology.NeverSettledFigure(options.PhaseTimeout);
            var settled = cluster.Member(topology.Primary);
            var (settledEvent, settledDetail) = topology.Event($"{settled.Display} alone says it is the primary (ROLE); a probe write "
                + "it acknowledged was read back from it");
            run.Timeline.Mark(settledEvent, settledDetail, topology.At);
            await roles.DisposeAsync();
            _split = RoleWatch.SplitBrain(roles.Rounds);
            run.Timeline.MarkSplitBrain(_split);
            _settled = settled;
            _since = roles.Rounds.FirstOrDefault(r => r.At >= Fault && r.Primaries.Contains(settled.Endpoint))?.At ?? _namedAt;
        }

        /// <summary>The frozen primary thawed when the drill failed, and the failure says so.</summary>
        public async Task<Exception> ThawAfterAsync(Exception failure)
        {
            if (Frozen is not { } pid) return failure;
            ProcessTable.Signal(pid, ProcessTable.SigCont);
            return new DrToolsException($"{options.Mode} drill (Sentinel recovering) failed: "
                + $"{(failure is DrToolsException known ? known.Message : failure.Message)} The frozen primary was thawed. "
                + $"Cluster now: {(await cluster.GetStatusAsync(CancellationToken.None)).Verdict}", DrErrorKind.InvalidOperation, failure);
        }

        public async Task<FailoverResult> ResultAsync(Integrity.DbChecksum? before, CancellationToken cancellationToken)
        {
            var (settled, primary) = (_settled!, _primary);
            var named = settled.Name == _named!.Name ? "named by the Sentinels" : $"the Sentinels had named {_named.Display}";
            var rejoined = options.Mode == FailoverMode.Switchover || options.Rejoin || options.Fault == NodeFault.FreezeNode;
            var state = $"{settled.Display} is the primary ({named}); {primary.Display} "
                + (rejoined ? "replicates from it" : "was left down (not rejoined)");
            var start = options.Mode == FailoverMode.Switchover ? "the switchover request" : "the fault";
            var readback = new Readback(cluster, settled, new FinalPrimary(settled.Endpoint, _since), rejoined ? null : primary.Name,
                options, plan.Before, before);
            var result = await FailoverFigures.ResultAsync(plan, run.RunId, run.Clock, run.Timeline, run.Writes, run.Reads, Fault,
                options, start, primary.Display, settled.Display, state, readback, cancellationToken);
            return result with
            {
                RecoveredBy = nameof(RecoveredBy.Sentinel),
                Fault = options.Mode == FailoverMode.Switchover ? "SENTINEL FAILOVER" : SentinelDrill.Fault(options, primary.Display),
                RecoveryFigures =
                [
                    new Measurement("time to a new primary named by the Sentinels", (_namedAt - Fault).TotalSeconds, "s", null,
                        $"from {start} to the first SENTINEL GET-MASTER-ADDR-BY-NAME answer naming another member (polled every "
                        + "10 ms), on the drill's monotonic clock"),
                ],
                SplitBrainFigures =
                [
                    RoleWatch.Figure(_split, $"each member's own ROLE every {DurationText.Format(RoleWatch.Interval)} from before "
                        + $"{start}", result.TopologyAfter),
                    .. result.SplitBrainFigures,
                    .. _neverSettled is { } never ? [never] : Array.Empty<Measurement>(),
                ],
            };
        }
    }
}
