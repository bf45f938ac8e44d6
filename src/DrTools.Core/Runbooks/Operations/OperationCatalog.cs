namespace DrTools.Core.Runbooks.Operations;

/// <summary>The operations a runbook step can run, named like their cmdlets.</summary>
public static class OperationCatalog
{
    public static IReadOnlyList<RunbookOperation> All { get; } =
    [
        .. ClusterOperations.All,
        FailoverOperation.InvokeDbFailover,
        .. BackupOperations.All,
        .. FaultOperations.All,
        .. AlertOperations.All,
        .. KubernetesOperations.All,
    ];

    public static RunbookOperation? Find(string name) => All.FirstOrDefault(o => string.Equals(o.Name, name,
        StringComparison.OrdinalIgnoreCase));

    internal static OperationParameter Target(bool required = true) =>
        new("target", ParameterKind.Target, "The runbook target (under targets:) to work on.") { Required = required };

    internal static OperationParameter Member(string what) =>
        new("member", ParameterKind.String, $"The member to {what} (name or host:port); default the primary.");

    internal static OperationParameter Repository() =>
        new("repository", ParameterKind.String, "Folder of the backup repository (e.g. ${run.directory}/repository).") { Required = true };

    /// <summary>The parameters of an application-level HTTP probe running through a step.</summary>
    internal static IEnumerable<OperationParameter> HttpProbeParameters() =>
    [
        new("httpProbe", ParameterKind.String,
            "URL the application answers on, probed with GET throughout: error rate, p50/p95/p99 latency, longest run of failures, time to "
            + "recover."),
        new("httpExpectStatus", ParameterKind.Integer, "The status an answered HTTP probe attempt returns (default 200).") { Minimum = 100,
            Maximum = 599 },
        new("httpProbeRate", ParameterKind.Number, "HTTP probe attempts per second (default 5).") { Minimum = Probes.ProbeOptions.MinRate,
            Maximum = Probes.ProbeOptions.MaxRate },
        new("maxErrorRate", ParameterKind.Number, "Target: most HTTP probe attempts that may fail, in percent.") { Maximum = 100 },
        new("p99", ParameterKind.Duration,
            "Target: most p99 latency of the HTTP probe's answered attempts, e.g. 500ms.") { Positive = true },
    ];

    internal static Probes.HttpProbeOptions? HttpProbe(StepArguments args) => Probes.HttpProbeOptions.From(args.String("httpProbe"),
        (int)(args.Integer("httpExpectStatus") ?? 200),
        args.Number("httpProbeRate") ?? 5, args.Number("maxErrorRate"), args.Duration("p99"), ("httpProbe", "maxErrorRate and p99"));

    /// <summary>A measured figure renamed for the report, where several subjects share one step (e.g. each standby).</summary>
    internal static Measurement Named(Measurement measurement, string subject) =>
        measurement with { Name = $"{subject}: {measurement.Name}" };
}
