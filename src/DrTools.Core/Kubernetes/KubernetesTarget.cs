using k8s;

namespace DrTools.Core.Kubernetes;

/// <summary>
/// A workload on a Kubernetes cluster: the kubeconfig as kubectl finds it (null: KUBECONFIG, else ~/.kube/config), its
/// context (null: the current one), a namespace and a Deployment.
/// </summary>
public sealed record KubernetesTarget(string? Kubeconfig, string? Context, string Namespace, string Deployment)
{
    public string Name => $"deployment {Namespace}/{Deployment}";

    internal IKubernetes Connect()
    {
        try
        {
            var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(Kubeconfig ?? DefaultKubeconfig(), Context);
            return new k8s.Kubernetes(config);
        }
        catch (Exception e) when (e is k8s.Exceptions.KubeConfigException or IOException or UnauthorizedAccessException)
        {
            throw new DrToolsException($"kubeconfig {Kubeconfig ?? DefaultKubeconfig()}: {e.Message}", DrErrorKind.InvalidArgument, e);
        }
    }

    /// <summary>The first file KUBECONFIG names, else ~/.kube/config, as kubectl reads it.</summary>
    private static string DefaultKubeconfig() =>
        Environment.GetEnvironmentVariable("KUBECONFIG")?.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault()
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
}
