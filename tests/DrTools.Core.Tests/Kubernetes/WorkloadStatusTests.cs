using DrTools.Core.Kubernetes;
using k8s;

namespace DrTools.Core.Tests;

/// <summary>The status of workloads and namespaces on a real API server (kube-lab), and the verdict naming what is wrong.</summary>
[Collection("Kubernetes")]
public sealed class WorkloadStatusTests(KubeLab lab)
{
    [KubernetesFact]
    public async Task A_healthy_deployment_has_every_replica_ready_on_ready_nodes()
    {
        var target = await KubeWorkloads.CreateAsync(lab, "web", 3);
        var status = await WorkloadStatus.ReadAsync(target, CancellationToken.None);
        Assert.True(status.Healthy, status.Verdict);
        Assert.Equal((3, 3, 3), (status.Desired, status.Ready, status.Available));
        Assert.Equal(3, status.Pods.Count(p => p.Ready && p.Node is not null));
        Assert.Equal("healthy: 3/3 ready", status.Verdict);
    }

    [KubernetesFact]
    public async Task A_replica_no_node_can_take_is_named_with_the_scheduler_s_reason()
    {
        var target = await KubeWorkloads.CreateAsync(lab, "nowhere", 2, nodeSelector: new Dictionary<string, string> { ["zone"] = "mars" },
            waitHealthy: false);
        WorkloadStatus status;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        // Until the scheduler has said why: a pod just made has no PodScheduled condition yet.
        while ((status = await WorkloadStatus.ReadAsync(target, CancellationToken.None)).Pods.Count(p => p.Waiting is not null) < 2)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), status.Verdict);
            await Task.Delay(200);
        }
        Assert.False(status.Healthy);
        Assert.Contains("0 of 2 replicas ready", status.Problems);
        var pod = status.Pods[0].Name;
        Assert.True(status.Problems.Any(p => p.StartsWith($"pod {pod} is Pending, not scheduled (Unschedulable: 0/4 nodes are available: ",
            StringComparison.Ordinal) && p.Contains("4 node(s) didn't match", StringComparison.Ordinal)), status.Verdict);
    }

    [KubernetesFact]
    public async Task A_namespace_is_healthy_when_every_pod_in_it_is_ready_and_names_the_one_that_is_not()
    {
        var web = await KubeWorkloads.CreateAsync(lab, "backup-system", 2);
        var ns = new KubernetesTarget(lab.Kubeconfig, null, web.Namespace);
        var status = await WorkloadStatus.ReadAsync(ns, CancellationToken.None);
        Assert.True(status.Healthy, status.Verdict);
        Assert.Equal((2, 2), (status.Desired, status.Ready));
        Assert.Equal($"namespace {web.Namespace}", status.Target);

        // A pod of its own beside the Deployment's, on no node that exists.
        using var client = KubeWorkloads.Client(lab);
        await client.CoreV1.CreateNamespacedPodAsync(new k8s.Models.V1Pod
        {
            Metadata = new k8s.Models.V1ObjectMeta { Name = "stray" },
            Spec = new k8s.Models.V1PodSpec
            {
                Containers = [new k8s.Models.V1Container { Name = "c", Image = "busybox" }],
                NodeSelector = new Dictionary<string, string> { ["zone"] = "mars" },
            },
        }, web.Namespace);
        status = await WorkloadStatus.ReadAsync(ns, CancellationToken.None);
        Assert.False(status.Healthy);
        Assert.Equal((3, 2), (status.Desired, status.Ready));
        Assert.Contains(status.Problems, p => p.StartsWith("pod stray is Pending, not scheduled", StringComparison.Ordinal));
    }

    [KubernetesFact]
    public async Task An_api_server_that_does_not_answer_is_one_line_naming_it()
    {
        var target = await KubeWorkloads.CreateAsync(lab, "gone", 1);
        // The same kubeconfig, its server a port nothing listens on.
        var config = await File.ReadAllTextAsync(lab.Kubeconfig);
        var dead = Path.Combine(Path.GetDirectoryName(lab.Kubeconfig)!, "dead-kubeconfig");
        await File.WriteAllTextAsync(dead, System.Text.RegularExpressions.Regex.Replace(config, @"https://127\.0\.0\.1:\d+",
            $"https://127.0.0.1:{FreePort()}"));
        var error = await Assert.ThrowsAsync<DrToolsException>(() => WorkloadStatus.ReadAsync(target with { Kubeconfig = dead },
            CancellationToken.None));
        Assert.Equal(DrErrorKind.ConnectionFailed, error.Kind);
        Assert.StartsWith($"{target.Name}: cannot read the deployment: the API server does not answer (", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
