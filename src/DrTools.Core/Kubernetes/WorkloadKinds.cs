namespace DrTools.Core.Kubernetes;

/// <summary>What each <see cref="WorkloadKind"/> is, as every surface (CLI options, help, refusals) says it.</summary>
public static class WorkloadKinds
{
    /// <summary>The kind as a sentence reads it: "Deployment", "pods a label selector selects".</summary>
    public static string Describe(WorkloadKind kind) => kind == WorkloadKind.Selector ? "pods a label selector selects" : kind.ToString();

    /// <summary>What the option or parameter naming a workload of this kind takes.</summary>
    public static string Help(WorkloadKind kind) => kind == WorkloadKind.Selector
        ? "A label selector, as kubectl -l takes it (app=web, tier in (a,b)): the workload is the pods it selects when the drill "
            + "starts, however many run then."
        : $"The {kind} to act on.";
}
