using System.CommandLine;
using DrTools.Core;
using DrTools.Core.Kubernetes;

namespace DrTools.Cli;

/// <summary>drtools kubernetes: a workload's (or a namespace's) status, and its pods deleted and measured back to ready.</summary>
public static class KubernetesCommands
{
    public static Command Create() => new("kubernetes", "Kubernetes workloads: status with a verdict, and pod-deletion drills measured "
        + "from the API server's watch.") { Status(), DeletePods() };

    private static Command Status()
    {
        var target = new KubernetesTargetOptions();
        var json = CommonOptions.Json();
        var command = new Command("status", "A workload's replicas and pods (or every pod of a namespace) and the nodes they run on: "
            + "healthy only when every replica is ready; otherwise what is wrong, naming the pod or node. Exits 1 when unhealthy.")
        {
            json,
        };
        target.AddTo(command);
        command.SetAction(async (parse, token) =>
        {
            var status = await WorkloadStatus.ReadAsync(target.Resolve(parse, workloadRequired: false), token);
            if (parse.GetValue(json)) Output.Json(status);
            else Output.Workload(status);
            return status.Healthy ? ExitCodes.Success : ExitCodes.NotMet;
        });
        return command;
    }

    private static Command DeletePods()
    {
        var target = new KubernetesTargetOptions();
        var count = new Option<int?>("--count") { Description = "How many of its pods to delete (default: all)." }.InRange(1, 10_000);
        var rto = CommonOptions.Duration("--rto", "Recovery-time objective: every replica ready again within it (e.g. 30s).",
            positive: true);
        var minReady = new Option<int?>("--min-ready") { Description = "Fewest ready replicas allowed during the drill." }
            .InRange(0, 10_000);
        var timeout = CommonOptions.Duration("--timeout", "How long to watch for the recovery (default 5m).", TimeSpan.FromMinutes(5),
            positive: true);
        var json = CommonOptions.Json();
        var command = new Command("delete-pods", "Deletes a healthy workload's pods (its namespace named with --allow-drill-on) and "
            + "measures, from the API server's watch, the time until every replica is ready again with none of the deleted pods "
            + "among them, and the lowest number of ready replicas. Exits 1 when an objective is not met.")
        {
            count, rto, minReady, timeout, json,
        };
        target.AddTo(command, allowDrill: true);
        command.SetAction(async (parse, token) =>
        {
            var result = await PodRecovery.RunAsync(target.Resolve(parse, workloadRequired: true), parse.GetValue(count),
                parse.GetValue(rto), parse.GetValue(minReady), parse.GetValue(timeout)!.Value, token);
            if (parse.GetValue(json)) Output.Json(result);
            else Output.PodRecovery(result);
            return result.Met ? ExitCodes.Success : ExitCodes.NotMet;
        });
        return command;
    }
}
