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
    ];

    public static RunbookOperation? Find(string name) => All.FirstOrDefault(o => string.Equals(o.Name, name, StringComparison.OrdinalIgnoreCase));

    internal static OperationParameter Target(bool required = true) =>
        new("target", ParameterKind.Target, "The runbook target (under targets:) to work on.") { Required = required };

    internal static OperationParameter Member(string what) =>
        new("member", ParameterKind.String, $"The member to {what} (name or host:port); default the primary.");

    internal static OperationParameter Repository() =>
        new("repository", ParameterKind.String, "Folder of the backup repository (e.g. ${run.directory}/repository).") { Required = true };

    /// <summary>A measured figure renamed for the report, where several subjects share one step (e.g. each standby).</summary>
    internal static Measurement Named(Measurement measurement, string subject) => measurement with { Name = $"{subject}: {measurement.Name}" };
}
