using DrTools.Core.Kubernetes;
using static DrTools.Core.Runbooks.Operations.OperationCatalog;

namespace DrTools.Core.Runbooks.Operations;

/// <summary>Kubernetes steps on a kubernetes: target: its status as a pre-check, pod deletions and node drains as drills.</summary>
internal static class KubernetesOperations
{
    private static readonly string[] Measured = ["rto", "minReady", "maxErrorRate", "p99"];

    public static IReadOnlyList<RunbookOperation> All { get; } =
    [
        new("Get-DrWorkloadStatus", typeof(WorkloadStatus),
            "A workload's (or namespace's) replicas, pods, nodes and disruption budgets; passes when every replica is ready and no pod "
            + "or node is in trouble.",
            [
                Target(),
                new("expectReplicas", ParameterKind.Integer, "The desired replicas the workload must have; another count fails the step.")
                {
                    Minimum = 0, Maximum = 10_000,
                },
            ],
            async (context, args, token) => StepOutcomes.From(await WorkloadStatus.ReadAsync(context.Kubernetes(args.Required("target")),
                token, (int?)args.Integer("expectReplicas")), context)),

        new("Invoke-DrPodRecovery", typeof(PodRecoveryResult),
            "Deletes a healthy workload's pods and measures, from the API server's watch, the time until every replica is ready again "
            + "(rto) and the fewest ready (minReady).",
            [
                Target(),
                new("count", ParameterKind.Integer, "How many of its pods to delete (default: all).") { Minimum = 1, Maximum = 10_000 },
                new("percent", ParameterKind.Number, "The share of its pods to delete, in percent, rounded up to at least one.")
                {
                    Minimum = 0.001, Maximum = 100,
                },
                new("evict", ParameterKind.Boolean,
                    "Evict the pods through the eviction API (disruption budgets respected, refusals counted) instead of deleting them."),
                .. DrillParameters(),
            ],
            async (context, args, token) => StepOutcomes.From(await PodRecovery.RunAsync(context.Kubernetes(args.Required("target")),
                new PodDeletion((int?)args.Integer("count"), args.Number("percent"), args.Flag("evict")), Options(context, args), token),
                context)) { Measures = Measured },

        new("Invoke-DrNodeDrain", typeof(NodeDrainResult),
            "Drains a node of a healthy workload's pods as kubectl drain does (cordoned, a recorded fault uncordoned however the step "
            + "ends; evictions that respect disruption budgets) and measures the recovery time (rto) and the fewest ready (minReady).",
            [
                Target(),
                new("node", ParameterKind.String, "The node to drain (default: the one running most of the workload's pods)."),
                .. DrillParameters(),
            ],
            async (context, args, token) => StepOutcomes.From(await NodeDrain.RunAsync(context.Kubernetes(args.Required("target")),
                args.String("node"), Options(context, args), token), context)) { Measures = Measured },

        new("Invoke-DrNodeLoss", typeof(NodeLossResult),
            "Takes a node away with the runbook's own fault command (a cloud API call; the node in DRTOOLS_NODE) and measures the "
            + "recovery time (rto) until every replica is ready on other nodes, and the fewest ready (minReady).",
            [
                Target(),
                new("node", ParameterKind.String, "The node to take away (default: the one running most of the workload's pods)."),
                new("faultCommand", ParameterKind.String, "Shell command that takes the node away (sh -c; the node in DRTOOLS_NODE).")
                {
                    Required = true,
                },
                .. DrillParameters(),
            ],
            async (context, args, token) => StepOutcomes.From(await NodeLoss.RunAsync(context.Kubernetes(args.Required("target")),
                args.String("node"), args.Required("faultCommand"), null, Options(context, args), token), context))
            {
                Measures = Measured,
            },
    ];

    private static IEnumerable<OperationParameter> DrillParameters() =>
    [
        new("rto", ParameterKind.Duration, "Recovery-time objective of this step (default the runbook's rto:).") { Positive = true },
        new("minReady", ParameterKind.Integer, "Fewest ready replicas allowed (default the runbook's minReady:).")
        {
            Minimum = 0, Maximum = 10_000,
        },
        new("timeout", ParameterKind.Duration, "How long to watch for the recovery (default 5m).") { Positive = true },
        .. HttpProbeParameters(),
    ];

    /// <summary>The step's own targets, else the runbook's objectives; the HTTP probe when httpProbe: names a URL.</summary>
    private static KubernetesDrillOptions Options(OperationContext context, StepArguments args) => new()
    {
        Rto = args.Duration("rto") ?? context.ObjectiveTime("rto"),
        MinReady = (int?)args.Integer("minReady") ?? (context.Objective("minReady") is { } floor ? (int)floor : null),
        Timeout = args.Duration("timeout"),
        HttpProbe = HttpProbe(args),
    };
}
