using System.CommandLine;
using DrTools.Core;
using DrTools.Core.Faults;
using DrTools.Core.Kubernetes;

namespace DrTools.Cli;

/// <summary>drtools kubernetes: a workload's (or a namespace's) status, and its pods deleted and measured back to ready.</summary>
public static class KubernetesCommands
{
    public static Command Create() => new("kubernetes", "Kubernetes workloads: status with a verdict, and pod-deletion drills measured "
        + "from the API server's watch, node drains, and cordons and scalings held as recorded faults.")
    {
        Status(), DeletePods(), Drain(), NodeLoss(), Fault(FaultKind.Cordon), Fault(FaultKind.Scale),
    };

    private static Command Status()
    {
        var target = new KubernetesTargetOptions();
        var json = CommonOptions.Json();
        var expect = new Option<int?>("--expect-replicas")
        {
            Description = "The desired replicas the workload must have; another count is a problem.",
        }.InRange(0, 10_000);
        var command = new Command("status", "A workload's replicas and pods (or every pod of a namespace), the nodes they run on and "
            + "the disruption budgets covering them: healthy only when every replica is ready; otherwise what is wrong, naming the pod "
            + "or node. Exits 1 when unhealthy.")
        {
            expect, json,
        };
        target.AddTo(command);
        command.SetAction(async (parse, token) =>
        {
            var status = await WorkloadStatus.ReadAsync(target.Resolve(parse, workloadRequired: false), token, parse.GetValue(expect));
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
        var percent = new Option<double?>("--percent")
        {
            Description = "The share of its pods to delete, in percent, rounded up to at least one (instead of --count).",
        }.InRange(0.001, 100);
        var evict = new Option<bool>("--evict")
        {
            Description = "Evict the pods through the eviction API (disruption budgets respected, refusals counted) instead of deleting "
                + "them.",
        };
        var drill = new KubernetesDrillOptionGroup();
        var json = CommonOptions.Json();
        var command = new Command("delete-pods", "Deletes a healthy workload's pods (its namespace named with --allow-drill-on) and "
            + "measures, from the API server's watch, the time until every replica is ready again with none of the deleted pods "
            + "among them, and the lowest number of ready replicas. Exits 1 when an objective is not met.")
        {
            count, percent, evict, json,
        };
        target.AddTo(command, allowDrill: true);
        drill.AddTo(command);
        command.SetAction(async (parse, token) =>
        {
            var result = await PodRecovery.RunAsync(target.Resolve(parse, workloadRequired: true),
                new PodDeletion(parse.GetValue(count), parse.GetValue(percent), parse.GetValue(evict)), drill.Read(parse), token);
            if (parse.GetValue(json)) Output.Json(result);
            else Output.PodRecovery(result);
            return result.Met ? ExitCodes.Success : ExitCodes.NotMet;
        });
        return command;
    }

    private static Command Drain()
    {
        var target = new KubernetesTargetOptions();
        var node = new Option<string?>("--node")
        {
            Description = "The node to drain (default: the one running most of the workload's pods).",
        };
        var drill = new KubernetesDrillOptionGroup();
        var json = CommonOptions.Json();
        var command = new Command("drain", "Drains a node of a healthy workload's pods as kubectl drain does: cordoned (a recorded "
            + "fault, uncordoned however the drill ends; after a SIGKILL by 'drtools fault stop --all'), its pods evicted so that "
            + "their disruption budgets are respected (refusals counted), measured from the API server's watch: time until every "
            + "replica is ready on other nodes, fewest ready. Only the named namespace's pods are evicted. Exits 1 when an objective "
            + "is not met.")
        {
            node, json,
        };
        target.AddTo(command, allowDrill: true);
        drill.AddTo(command);
        command.SetAction(async (parse, token) =>
        {
            var result = await NodeDrain.RunAsync(target.Resolve(parse, workloadRequired: true), parse.GetValue(node), drill.Read(parse),
                token);
            if (parse.GetValue(json)) Output.Json(result);
            else Output.NodeDrain(result);
            return result.Met ? ExitCodes.Success : ExitCodes.NotMet;
        });
        return command;
    }

    private static Command NodeLoss()
    {
        var target = new KubernetesTargetOptions();
        var node = new Option<string?>("--node")
        {
            Description = "The node to take away (default: the one running most of the workload's pods).",
        };
        var fault = new Option<string>("--fault-command")
        {
            Description = "Shell command that takes the node away, e.g. a cloud API call (sh -c; the node's name in DRTOOLS_NODE).",
            Required = true,
        };
        var drill = new KubernetesDrillOptionGroup();
        var json = CommonOptions.Json();
        var command = new Command("node-loss", "Takes a node away with your own fault command (a real cluster's node loss: a cloud API "
            + "call that stops its machine; not undone by DrTools) and measures from the API server's watch the time until every "
            + "replica is ready on other nodes, including the time Kubernetes takes to notice and evict. Exits 1 when an objective is "
            + "not met.")
        {
            node, fault, json,
        };
        target.AddTo(command, allowDrill: true);
        drill.AddTo(command);
        command.SetAction(async (parse, token) =>
        {
            var result = await Core.Kubernetes.NodeLoss.RunAsync(target.Resolve(parse, workloadRequired: true), parse.GetValue(node),
                parse.GetValue(fault), null, drill.Read(parse), token);
            if (parse.GetValue(json)) Output.Json(result);
            else Output.NodeLoss(result);
            return result.Met ? ExitCodes.Success : ExitCodes.NotMet;
        });
        return command;
    }

    /// <summary>A Kubernetes fault of the library, held for --duration or left recorded until 'drtools fault stop'.</summary>
    private static Command Fault(FaultKind kind)
    {
        var target = new KubernetesTargetOptions();
        var (subject, about) = kind switch
        {
            FaultKind.Cordon => (new Option<string>("--node") { Description = "The node to cordon.", Required = true },
                "Marks a node unschedulable; the undo marks it schedulable again."),
            FaultKind.Scale => (new Option<string>("--replicas") { Description = "The replica count to scale the workload to.",
                Required = true }, "Scales a workload to a replica count; the undo scales it back to the count it had."),
            _ => throw new System.Diagnostics.UnreachableException(kind.ToString()),
        };
        var duration = CommonOptions.Duration("--duration",
            "How long the fault lasts; the command returns once it is undone. Without it the fault stays until 'drtools fault stop'.",
            positive: true);
        var json = CommonOptions.Json();
        var command = new Command(kind.ToString().ToLowerInvariant(), $"{about} A recorded fault: listed by 'drtools fault list', "
            + "undone by 'drtools fault stop' (--all after a SIGKILL).") { subject, duration, json };
        target.AddTo(command, allowDrill: true);
        command.SetAction(async (parse, token) =>
        {
            var resolved = target.Resolve(parse, workloadRequired: kind == FaultKind.Scale);
            var value = parse.GetValue(subject)!;
            var request = KubernetesFaults.Request(kind, resolved, kind == FaultKind.Cordon ? $"node {value}" : resolved.Name,
                new Dictionary<string, string> { [kind == FaultKind.Cordon ? "node" : "replicas"] = value });
            Faults.Plan(request);
            if (parse.GetValue(duration) is not { } lasting)
            {
                var record = await Faults.StartAsync(request, null, token);
                if (parse.GetValue(json)) Output.Json(record);
                else Console.WriteLine($"fault {record.Id}: {record.Description}; undo it with: drtools fault stop {record.Id}");
                return ExitCodes.Success;
            }
            var end = await Faults.HoldAsync(request, lasting, null, token, started =>
            {
                if (!parse.GetValue(json)) Console.WriteLine($"fault {started.Id}: {started.Description}, for "
                    + $"{DurationText.Format(lasting)}");
            });
            return FaultCommands.Ended([end], parse.GetValue(json));
        });
        return command;
    }
}
