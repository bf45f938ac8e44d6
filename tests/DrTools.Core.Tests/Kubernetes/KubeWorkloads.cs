using System.Diagnostics;
using DrTools.Core.Kubernetes;
using k8s;
using k8s.Models;

namespace DrTools.Core.Tests;

/// <summary>Workloads made for a test in a namespace of their own on the lab's API server, and waited for until healthy.</summary>
internal static class KubeWorkloads
{
    public static k8s.Kubernetes Client(KubeLab lab) => new(KubernetesClientConfiguration.BuildConfigFromConfigFile(lab.Kubeconfig));

    /// <summary>A Deployment (or a StatefulSet) of <paramref name="replicas"/> in namespace drill-<paramref name="name"/>-(run).</summary>
    public static async Task<KubernetesTarget> CreateAsync(KubeLab lab, string name, int replicas,
        WorkloadKind kind = WorkloadKind.Deployment, IDictionary<string, string>? nodeSelector = null, bool waitHealthy = true)
    {
        using var client = Client(lab);
        var ns = $"drill-{name}-{lab.Run}";
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns, Labels = lab.Labels } });
        var labels = new Dictionary<string, string> { ["app"] = name };
        var template = new V1PodTemplateSpec
        {
            Metadata = new V1ObjectMeta { Labels = labels },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "web", Image = "nginx" }], NodeSelector = nodeSelector },
        };
        var selector = new V1LabelSelector { MatchLabels = labels };
        if (kind == WorkloadKind.Deployment)
        {
            await client.AppsV1.CreateNamespacedDeploymentAsync(new V1Deployment
            {
                Metadata = new V1ObjectMeta { Name = name },
                Spec = new V1DeploymentSpec { Replicas = replicas, Selector = selector, Template = template },
            }, ns);
        }
        else
        {
            await client.AppsV1.CreateNamespacedStatefulSetAsync(new V1StatefulSet
            {
                Metadata = new V1ObjectMeta { Name = name },
                Spec = new V1StatefulSetSpec
                {
                    Replicas = replicas, Selector = selector, Template = template, ServiceName = name, PodManagementPolicy = "Parallel",
                },
            }, ns);
        }
        var target = new KubernetesTarget(lab.Kubeconfig, null, ns, kind, name, AllowDrill: true);
        if (waitHealthy) await WaitHealthyAsync(target);
        return target;
    }

    public static async Task WaitHealthyAsync(KubernetesTarget target)
    {
        var ready = Stopwatch.StartNew();
        while (!(await WorkloadStatus.ReadAsync(target, CancellationToken.None)).Healthy)
        {
            Assert.True(ready.Elapsed < TimeSpan.FromMinutes(3), (await WorkloadStatus.ReadAsync(target, CancellationToken.None)).Verdict);
            await Task.Delay(200);
        }
    }
}

/// <summary>The Kubernetes tests share one lab: it takes ~20 s to start.</summary>
[CollectionDefinition("Kubernetes")]
public sealed class KubernetesCollection : ICollectionFixture<KubeLab>;
