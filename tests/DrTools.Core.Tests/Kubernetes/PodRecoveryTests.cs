using System.Diagnostics;
using DrTools.Core.Kubernetes;
using k8s;
using k8s.Models;

namespace DrTools.Core.Tests;

/// <summary>A Deployment on a real API server (kube-lab): its status, and its pods deleted and measured back to ready.</summary>
public sealed class PodRecoveryTests(KubeLab lab) : IClassFixture<KubeLab>
{
    private async Task<KubernetesTarget> DeploymentAsync(string name, int replicas)
    {
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(lab.Kubeconfig));
        var ns = $"drill-{name}";
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
        var labels = new Dictionary<string, string> { ["app"] = name };
        await client.AppsV1.CreateNamespacedDeploymentAsync(new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1DeploymentSpec
            {
                Replicas = replicas,
                Selector = new V1LabelSelector { MatchLabels = labels },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = labels },
                    Spec = new V1PodSpec { Containers = [new V1Container { Name = "web", Image = "nginx" }] },
                },
            },
        }, ns);
        var target = new KubernetesTarget(lab.Kubeconfig, null, ns, name);
        var ready = Stopwatch.StartNew();
        while (!(await WorkloadStatus.ReadAsync(target, CancellationToken.None)).Healthy)
        {
            Assert.True(ready.Elapsed < TimeSpan.FromSeconds(60), (await WorkloadStatus.ReadAsync(target, CancellationToken.None)).Verdict);
            await Task.Delay(200);
        }
        return target;
    }

    [KubernetesFact]
    public async Task A_healthy_deployment_has_every_replica_ready_on_ready_nodes()
    {
        var target = await DeploymentAsync("web", 3);
        var status = await WorkloadStatus.ReadAsync(target, CancellationToken.None);
        Assert.True(status.Healthy, status.Verdict);
        Assert.Equal((3, 3, 3), (status.Desired, status.Ready, status.Available));
        Assert.Equal(3, status.Pods.Count(p => p.Ready && p.Node is not null));
    }

    /// <summary>
    /// The recovery time is checked against a watch of the test's own, opened before the deletion: the first event with
    /// readyReplicas back at 3 after one below it.
    /// </summary>
    [KubernetesFact]
    public async Task Deleted_pods_are_measured_back_to_every_replica_ready_by_the_apis_watch()
    {
        var target = await DeploymentAsync("api", 3);
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(lab.Kubeconfig));
        var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync(target.Deployment, target.Namespace);
        var independent = Task.Run(async () =>
        {
            var dipped = false;
            await foreach (var (_, seen) in client.AppsV1.WatchListNamespacedDeploymentAsync(target.Namespace,
                fieldSelector: $"metadata.name={target.Deployment}", resourceVersion: deployment.Metadata.ResourceVersion))
            {
                var ready = seen.Status?.ReadyReplicas ?? 0;
                if (ready < 3) dipped = true;
                else if (dipped) return Stopwatch.GetTimestamp();
            }
            return long.MaxValue;
        });

        var result = await PodRecovery.RunAsync(target, null, TimeSpan.FromSeconds(30), 0, TimeSpan.FromSeconds(60), CancellationToken.None);
        var seenBack = await independent.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(3, result.Deleted.Count);
        Assert.False(result.RecoveryTime.MoreThan);
        Assert.True(result.RecoveryTime.Met, result.RecoveryTime.Method);
        Assert.True(result.LowestReady.Measured < 3, $"lowest {result.LowestReady.Measured}");
        Assert.True(result.BelowDesired.Measured > 0);
        // Both watched the same events, timed from the drill's first deletion request.
        var independentFigure = Stopwatch.GetElapsedTime(result.DeletionStarted, seenBack).TotalSeconds;
        Assert.InRange(result.RecoveryTime.Measured, independentFigure - 0.2, independentFigure + 0.2);
    }

    [KubernetesFact]
    public async Task A_deployment_that_is_not_healthy_is_refused_before_anything_is_deleted()
    {
        var target = await DeploymentAsync("cordoned", 1);
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(lab.Kubeconfig));
        var pod = Assert.Single((await WorkloadStatus.ReadAsync(target, CancellationToken.None)).Pods);
        var node = pod.Node!;
        await client.CoreV1.PatchNodeAsync(new V1Patch("{\"spec\":{\"unschedulable\":true}}", V1Patch.PatchType.MergePatch), node);
        try
        {
            var refused = await Assert.ThrowsAsync<DrToolsException>(() => PodRecovery.RunAsync(target, null, null, null,
                TimeSpan.FromSeconds(30), CancellationToken.None));
            Assert.Equal($"pod deletion on {target.Name} refused: it is unhealthy: node {node} is cordoned. Nothing was changed.",
                refused.Message);
            Assert.Equal(pod.Name, Assert.Single((await WorkloadStatus.ReadAsync(target, CancellationToken.None)).Pods).Name);
        }
        finally
        {
            await client.CoreV1.PatchNodeAsync(new V1Patch("{\"spec\":{\"unschedulable\":false}}", V1Patch.PatchType.MergePatch), node);
        }
    }
}
