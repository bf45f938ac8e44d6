using DrTools.Core.Processes;

namespace DrTools.Core.Kubernetes;

/// <summary>
/// A node lost as the user's own fault makes it on a real cluster (a cloud API call that stops the machine: a shell
/// command, or a PowerShell script block), measured from the watch of the workload's pods until every replica is ready on other
/// nodes. DrTools cannot undo a node's loss: the node comes back as the cluster's own tooling brings it back.
/// </summary>
public static class NodeLoss
{
    /// <param name="faultCommand">Run with sh -c, the node in DRTOOLS_NODE; or <paramref name="faultScript"/> instead.</param>
    public static async Task<NodeLossResult> RunAsync(KubernetesTarget target, string? node, string? faultCommand,
        Func<CancellationToken, Task>? faultScript, KubernetesDrillOptions options, CancellationToken cancellationToken)
    {
        if ((faultCommand is null) == (faultScript is null))
        {
            throw new DrToolsException("node loss: give the fault that takes the node away: a fault command (-FaultCommand / "
                + "--fault-command) or, in PowerShell, a fault script (-FaultScript); one of the two.", DrErrorKind.InvalidArgument);
        }
        using var session = await DrillSession.OpenAsync(target, "node loss", cancellationToken);
        var before = session.Before;
        var chosen = NodeRecovery.Choose("node loss", target, before, node);
        var fault = faultCommand is null ? "the fault script" : $"the fault command '{faultCommand}'";
        var outcome = await NodeRecovery.MeasureAsync(session, chosen, $"{fault} for node {chosen}", options,
            async (watch, stop) =>
            {
                // What it prints is not kept: a cloud CLI's output can hold credentials.
                if (faultScript is not null) await faultScript(stop);
                else await CommandRunner.RunAsync(new CommandSpec($"fault command for node {chosen}", "/bin/sh", ["-c", faultCommand!])
                {
                    // Bounded by the drill's timeout: a cloud API call may rightly take minutes.
                    Timeout = Timeout.InfiniteTimeSpan,
                    Environment = new Dictionary<string, string> { ["DRTOOLS_NODE"] = chosen },
                }, stop);
                watch.Mark($"{fault} for node {chosen} returned");
                return before.Pods.Where(p => p.Node == chosen && !p.Terminating).ToList();
            }, cancellationToken);
        return new NodeLossResult(target.Name, chosen, before.Desired, outcome.Taken.Select(p => p.Name).ToList(), outcome.Rescheduled,
            outcome.RecoveryTime, outcome.LowestReady, outcome.BelowDesired, outcome.Timeline, outcome.ApiRequests)
        {
            ClockOrigin = outcome.ClockOrigin, Started = outcome.Started, HttpProbe = outcome.HttpProbe,
        };
    }
}
