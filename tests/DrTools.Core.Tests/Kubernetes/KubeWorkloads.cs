using System.Diagnostics;
using DrTools.Core.Kubernetes;
using k8s;
using k8s.Models;

namespace DrTools.Core.Tests;

/// <summary>Workloads made for a test in a namespace of their own on the lab's API server, and waited for until healthy.</summary>
internal static class KubeWorkloads
{
    public static k8s.Kubernetes Client(KubeLab lab) => new(KubernetesClientConfiguration.BuildConfigFromConfigFile(lab.Kubeconfig));

    /// <summary>
    /// A Deployment (or a StatefulSet) of <paramref name="replicas"/> in namespace drill-<paramref name="name"/>-(run), one
    /// pod a node unless <paramref name="onePerNode"/> is false (where a drained or lost node's pods go is then known: to
    /// the node none of them runs on).
    /// </summary>
    public static async Task<KubernetesTarget> CreateAsync(KubeLab lab, string name, int replicas,
        WorkloadKind kind = WorkloadKind.Deployment, IDictionary<string, string>? nodeSelector = null, bool waitHealthy = true,
        bool onePerNode = true)
    {
        using var client = Client(lab);
        var ns = $"drill-{name}-{lab.Run}";
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns, Labels = lab.Labels } });
        var labels = new Dictionary<string, string> { ["app"] = name };
        var template = new V1PodTemplateSpec
        {
            Metadata = new V1ObjectMeta { Labels = labels },
            Spec = new V1PodSpec
            {
                Containers = [new V1Container { Name = "web", Image = "nginx" }], NodeSelector = nodeSelector,
                Affinity = onePerNode ? OnePerNode(labels) : null,
            },
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

    /// <summary>
    /// A PodDisruptionBudget over the workload's pods allowing <paramref name="maxUnavailable"/> of them down: policy/v1,
    /// else policy/v1beta1 (kube-lab's 1.20 serves only that).
    /// </summary>
    public static async Task CreateBudgetAsync(KubeLab lab, KubernetesTarget target, int maxUnavailable)
    {
        using var client = Client(lab);
        var budget = new Dictionary<string, object>
        {
            ["kind"] = "PodDisruptionBudget",
            ["metadata"] = new Dictionary<string, object> { ["name"] = target.Workload! },
            ["spec"] = new Dictionary<string, object>
            {
                ["maxUnavailable"] = maxUnavailable,
                ["selector"] = new Dictionary<string, object>
                {
                    ["matchLabels"] = new Dictionary<string, string> { ["app"] = target.Workload! },
                },
            },
        };
        try
        {
            budget["apiVersion"] = "policy/v1";
            await client.CustomObjects.CreateNamespacedCustomObjectAsync(budget, "policy", "v1", target.Namespace, "poddisruptionbudgets");
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            budget["apiVersion"] = "policy/v1beta1";
            await client.CustomObjects.CreateNamespacedCustomObjectAsync(budget, "policy", "v1beta1", target.Namespace,
                "poddisruptionbudgets");
        }
        // Its controller has counted the healthy pods once it allows what it should.
        var counted = Stopwatch.StartNew();
        while ((await WorkloadStatus.ReadAsync(target, CancellationToken.None)).Budgets is not [{ ExpectedPods: > 0 }])
        {
            Assert.True(counted.Elapsed < TimeSpan.FromMinutes(1), "the disruption budget's status was never computed");
            await Task.Delay(200);
        }
    }

    /// <summary>Whether the node is cordoned now.</summary>
    public static async Task<bool> CordonedAsync(KubeLab lab, string node)
    {
        using var client = Client(lab);
        return (await client.CoreV1.ReadNodeAsync(node)).Spec?.Unschedulable == true;
    }

    /// <summary>Whether any node of the lab is cordoned now (a drill's undo left one behind).</summary>
    public static async Task<bool> CordonedAnyAsync(KubeLab lab)
    {
        using var client = Client(lab);
        return (await client.CoreV1.ListNodeAsync()).Items.Any(n => n.Spec?.Unschedulable == true);
    }

    private static V1Affinity OnePerNode(IDictionary<string, string> labels) => new()
    {
        PodAntiAffinity = new V1PodAntiAffinity
        {
            RequiredDuringSchedulingIgnoredDuringExecution =
            [
                new V1PodAffinityTerm
                {
                    LabelSelector = new V1LabelSelector { MatchLabels = labels }, TopologyKey = "kubernetes.io/hostname",
                },
            ],
        },
    };

    /// <summary>
    /// A pod watch of the test's own, from the list's version read now: when it first saw fewer than
    /// <paramref name="count"/> of the pods <paramref name="selector"/> selects ready and not terminating, and when it saw
    /// that many again after (Stopwatch timestamps).
    /// </summary>
    public static async Task<Task<(long Fell, long Back)>> PodsDipAsync(IKubernetes client, string ns, string selector, int count)
    {
        var list = await client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: selector);
        var ready = list.Items.Where(Serving).Select(p => p.Metadata.Uid).ToHashSet();
        return DipAsync();

        async Task<(long, long)> DipAsync()
        {
            long? fell = null;
            await foreach (var (type, pod) in client.CoreV1.WatchListNamespacedPodAsync(ns, labelSelector: selector,
                resourceVersion: list.Metadata.ResourceVersion))
            {
                if (type != WatchEventType.Deleted && Serving(pod)) ready.Add(pod.Metadata.Uid);
                else ready.Remove(pod.Metadata.Uid);
                if (ready.Count < count) fell ??= Stopwatch.GetTimestamp();
                else if (fell is { } at) return (at, Stopwatch.GetTimestamp());
            }
            return (fell ?? long.MaxValue, long.MaxValue);
        }
    }

    private static bool Serving(V1Pod pod) => pod.Metadata.DeletionTimestamp is null
        && pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

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
