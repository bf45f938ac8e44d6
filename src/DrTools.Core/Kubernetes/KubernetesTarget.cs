using k8s;

namespace DrTools.Core.Kubernetes;

/// <summary>
/// A namespace of a Kubernetes cluster, or one workload in it: the kubeconfig as kubectl finds it (null: KUBECONFIG, else
/// ~/.kube/config) and its context (null: the current one). Drills on it need <see cref="AllowDrill"/>: the namespace
/// named by the user (<see cref="AllowedBy"/>).
/// </summary>
public sealed record KubernetesTarget(string? Kubeconfig, string? Context, string Namespace, WorkloadKind? Kind = null,
    string? Workload = null, bool AllowDrill = false)
{
    public string Name => Kind is { } kind ? $"{kind.ToString().ToLowerInvariant()} {Namespace}/{Workload}" : $"namespace {Namespace}";

    /// <summary>A Deployment: the common case, and the one the tests build.</summary>
    public static KubernetesTarget Deployment(string? kubeconfig, string? context, string ns, string name, bool allowDrill = false) =>
        new(kubeconfig, context, ns, WorkloadKind.Deployment, name, allowDrill);

    /// <summary>
    /// Whether <paramref name="allowDrillOn"/> or DRTOOLS_ALLOW_DRILL_ON names the namespace, as it is: a drill deletes and
    /// evicts pods, so the user names each namespace, and kube-system only ever by that name (no pattern covers it).
    /// </summary>
    public static bool AllowedBy(string ns, IReadOnlyCollection<string>? allowDrillOn) =>
        (allowDrillOn ?? []).Concat(Postgres.DbTarget.ConfiguredDrillTargets).Any(a => string.Equals(a, ns, StringComparison.Ordinal));

    /// <summary>Refuses <paramref name="operation"/> unless the namespace was named for drills; nothing was asked of the cluster.</summary>
    public void DemandDrillAllowed(string operation)
    {
        if (!AllowDrill)
        {
            throw DrToolsException.Refused($"{operation} refused: namespace {Namespace} is not allowed for drills: name it "
                + "(-AllowDrillOn / --allow-drill-on / allowDrill: in a runbook, or DRTOOLS_ALLOW_DRILL_ON)"
                + (Namespace == "kube-system" ? ", kube-system only ever by that name" : ""), DrErrorKind.NotAllowed);
        }
    }

    internal IKubernetes Connect() => new k8s.Kubernetes(Configuration());

    /// <summary>A client whose requests <paramref name="count"/> counts.</summary>
    internal IKubernetes Connect(RequestCount count) => new k8s.Kubernetes(Configuration(), count);

    /// <summary>The API server's address, as the kubeconfig gives it (a fault's record names it).</summary>
    internal Uri Server => new(Configuration().Host);

    private KubernetesClientConfiguration Configuration()
    {
        var file = KubeconfigFile;
        try
        {
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(file, Context);
        }
        catch (Exception e) when (e is k8s.Exceptions.KubeConfigException or IOException or UnauthorizedAccessException)
        {
            throw new DrToolsException($"kubeconfig {file}: {e.Message}", DrErrorKind.InvalidArgument, e);
        }
    }

    /// <summary>The kubeconfig file read, as a full path: a fault's undo in another process reads the same one.</summary>
    internal string KubeconfigFile => Path.GetFullPath(Kubeconfig ?? DefaultKubeconfig());

    /// <summary>The target as a fault's record keeps it, so that its undo reaches the same cluster from any process.</summary>
    internal IEnumerable<KeyValuePair<string, string>> State()
    {
        yield return new("kubeconfig", KubeconfigFile);
        yield return new("namespace", Namespace);
        if (Context is { } context) yield return new("context", context);
        if (Kind is { } kind) yield return new("kind", kind.ToString());
        if (Workload is { } workload) yield return new("workload", workload);
    }

    /// <summary>The target a fault's record names (<see cref="State"/>).</summary>
    internal static KubernetesTarget FromState(IReadOnlyDictionary<string, string> state) => new(state["kubeconfig"],
        state.GetValueOrDefault("context"), state["namespace"],
        state.TryGetValue("kind", out var kind) ? Enum.Parse<WorkloadKind>(kind) : null, state.GetValueOrDefault("workload"), true);

    /// <summary>The first file KUBECONFIG names, else ~/.kube/config, as kubectl reads it.</summary>
    private static string DefaultKubeconfig() =>
        Environment.GetEnvironmentVariable("KUBECONFIG")?.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault()
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
}
