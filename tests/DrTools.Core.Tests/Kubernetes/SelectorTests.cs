using System.Diagnostics;
using DrTools.Core.Kubernetes;
using k8s;
using k8s.Models;

namespace DrTools.Core.Tests;

/// <summary>A label selector as the workload on a real API server (kube-lab): the pods it selects, watched as one.</summary>
[Collection("Kubernetes")]
public sealed class SelectorTests(KubeLab lab)
{
    private static readonly KubernetesDrillOptions Options = new()
    {
        Rto = TimeSpan.FromSeconds(30), MinReady = 0, Timeout = TimeSpan.FromMinutes(3),
    };

    private static KubernetesTarget Selecting(KubernetesTarget deployment, string selector) =>
        deployment with { Kind = WorkloadKind.Selector, Workload = selector };

    /// <summary>
    /// Set-based syntax, as kubectl -l takes it; the recovery time is checked against a pod watch of the test's own, opened
    /// before the deletion: the first event after a dip with three selected pods ready and none terminating.
    /// </summary>
    [KubernetesFact]
    public async Task Deleted_pods_a_selector_selects_are_measured_back_to_as_many_ready_as_before()
    {
        var target = Selecting(await KubeWorkloads.CreateAsync(lab, "sel-api", 3), "app in (sel-api),!canary");
        var status = await WorkloadStatus.ReadAsync(target, CancellationToken.None);
        Assert.True(status.Healthy, status.Verdict);
        Assert.Equal((3, 3), (status.Desired, status.Ready));
        Assert.All(status.Pods, p => Assert.StartsWith("ReplicaSet/sel-api-", p.Controller));
        using var client = KubeWorkloads.Client(lab);
        var independent = await KubeWorkloads.PodsDipAsync(client, target.Namespace, "app=sel-api", 3);

        var result = await PodRecovery.RunAsync(target, PodDeletion.All, Options, CancellationToken.None);
        var (_, seenBack) = await independent.WaitAsync(TimeSpan.FromMinutes(3));

        Assert.Equal(3, result.Deleted.Count);
        Assert.True(result.RecoveryTime.Met, result.RecoveryTime.Method);
        Assert.Contains("the pod watch event with 3 of the pods the selector selects ready", result.RecoveryTime.Method);
        Assert.True(result.LowestReady.Measured < 3, $"lowest {result.LowestReady.Measured}");
        // In time order, each deletion at its request: the watch's first fall comes after the first deletion asked.
        Assert.Equal(result.Timeline.OrderBy(e => e.At), result.Timeline);
        Assert.True(result.Timeline.First(e => e.What.StartsWith("deletion of pod ", StringComparison.Ordinal)).At
            < result.Timeline.First(e => e.What.EndsWith("/3 ready", StringComparison.Ordinal)).At, string.Join("; ", result.Timeline));
        var independentFigure = Stopwatch.GetElapsedTime(result.DeletionStarted, seenBack).TotalSeconds;
        Assert.InRange(result.RecoveryTime.Measured, independentFigure - 0.2, independentFigure + 0.2);
        var after = await WorkloadStatus.ReadAsync(target, CancellationToken.None);
        Assert.DoesNotContain(after.Pods, p => p.Ready && !p.Terminating && status.Pods.Any(b => b.Uid == p.Uid));
    }

    /// <summary>
    /// A pod of its own that the selector also selects: the status counts it, a drill is refused naming it (nothing would
    /// make it again) and nothing is deleted.
    /// </summary>
    [KubernetesFact]
    public async Task A_pod_no_controller_makes_again_is_counted_and_a_drill_on_it_refused_with_nothing_deleted()
    {
        // Labelled otherwise than the Deployment's pods: its ReplicaSet would adopt a pod its own selector matches.
        var target = Selecting(await KubeWorkloads.CreateAsync(lab, "sel-bare", 2), "app in (sel-bare, sel-bare-hand)");
        using var client = KubeWorkloads.Client(lab);
        await client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "hand-made", Labels = new Dictionary<string, string> { ["app"] = "sel-bare-hand" } },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox" }] },
        }, target.Namespace);
        await KubeWorkloads.WaitHealthyAsync(target);
        var status = await WorkloadStatus.ReadAsync(target, CancellationToken.None);
        Assert.Equal((3, 3), (status.Desired, status.Ready));
        Assert.Null(status.Pods.Single(p => p.Name == "hand-made").Controller);

        var refused = await Assert.ThrowsAsync<DrToolsException>(() =>
            PodRecovery.RunAsync(target, PodDeletion.All, Options, CancellationToken.None));
        Assert.Equal($"pod deletion on {target.Name} refused: pod hand-made has no controller (no ReplicaSet, StatefulSet, DaemonSet "
            + "or Job makes it again): the drill would lose it. Nothing was changed.", refused.Message);
        Assert.Equal(status.Pods.Select(p => p.Uid),
            (await WorkloadStatus.ReadAsync(target, CancellationToken.None)).Pods.Select(p => p.Uid));
    }

    [KubernetesFact]
    public async Task A_selector_the_api_cannot_parse_or_that_selects_nothing_is_refused_naming_it()
    {
        var web = await KubeWorkloads.CreateAsync(lab, "sel-none", 1);
        var unparsable = await Assert.ThrowsAsync<DrToolsException>(() =>
            WorkloadStatus.ReadAsync(Selecting(web, "app in (a"), CancellationToken.None));
        Assert.Equal(DrErrorKind.InvalidArgument, unparsable.Kind);
        Assert.StartsWith("label selector app in (a: ", unparsable.Message);

        var nothing = Selecting(web, "app=elsewhere");
        var none = await Assert.ThrowsAsync<DrToolsException>(() => WorkloadStatus.ReadAsync(nothing, CancellationToken.None));
        Assert.Equal($"selector {web.Namespace}/app=elsewhere: the label selector selects no running pod in namespace {web.Namespace}",
            none.Message);
        var empty = await Assert.ThrowsAsync<DrToolsException>(() =>
            PodRecovery.RunAsync(Selecting(web, " "), PodDeletion.All, Options, CancellationToken.None));
        Assert.Equal(DrErrorKind.InvalidArgument, empty.Kind);
        Assert.Single((await WorkloadStatus.ReadAsync(web, CancellationToken.None)).Pods);
    }
}
