using System.Diagnostics;
using DrTools.Core;
using DrTools.Core.Kubernetes;
using k8s;
using k8s.Models;

namespace DrTools.Bench;

/// <summary>
/// Kubernetes drills against the disposable cluster KUBECONFIG names (kube-lab: `kube-lab up DIR 3`). Watch latency: a
/// pod of a Deployment deleted, DrTools' recovery time's end against a bare watch of the Deployment's pods opened before
/// the deletion (target: median ≤ 50 ms later), and a poller reading the Deployment every second as the baseline polling
/// would be;
/// the start of DrTools' dip (its time below the desired count) against the bare watch's first event below it.
/// Requests: a drain of the busiest node of a 30-pod Deployment under a budget of one, its API reads outside the watch
/// per second (target ≤ 1).
/// </summary>
public static class KubernetesBenchmark
{
    private const int Pods = 30;

    public static async Task RunAsync(int runs)
    {
        var kubeconfig = Environment.GetEnvironmentVariable("KUBECONFIG") is { Length: > 0 } given ? given
            : throw new InvalidOperationException("set KUBECONFIG to a disposable cluster, e.g. kube-lab up /tmp/lab 3");
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
        var ns = $"drtools-bench-{Guid.NewGuid().ToString("n")[..6]}";
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
        try
        {
            var target = KubernetesTarget.Deployment(kubeconfig, null, ns, "web", allowDrill: true);
            await CreateAsync(client, target);
            var (drtools, polled, dips) = (new List<double>(), new List<double>(), new List<double>());
            for (var run = 1; run <= runs; run++)
            {
                var (late, pollerLate, dipLate) = await LatencyAsync(client, target);
                drtools.Add(late);
                polled.Add(pollerLate);
                dips.Add(dipLate);
                Console.WriteLine($"run {run}: DrTools {late:0.0} ms after the bare watch (dip start {dipLate:0.0} ms); poller every 1 s "
                    + $"{pollerLate:0.0} ms after it");
            }
            var (median, pollerMedian) = (Statistics.Median(drtools), Statistics.Median(polled));
            Console.WriteLine($"watch latency, median of {runs}: DrTools {median:0.0} ms (max {drtools.Max():0.0}), poller "
                + $"{pollerMedian:0.0} ms; ratio DrTools / poller {median / pollerMedian:0.00}; dip start {Statistics.Median(dips):0.0} ms "
                + $"(max {dips.Max():0.0})");

            await client.CustomObjects.CreateNamespacedCustomObjectAsync(new Dictionary<string, object>
            {
                ["apiVersion"] = "policy/v1beta1",
                ["kind"] = "PodDisruptionBudget",
                ["metadata"] = new Dictionary<string, object> { ["name"] = "web" },
                ["spec"] = new Dictionary<string, object>
                {
                    ["maxUnavailable"] = 1,
                    ["selector"] = new Dictionary<string, object> { ["matchLabels"] = new Dictionary<string, string> { ["app"] = "web" } },
                },
            }, "policy", "v1beta1", ns, "poddisruptionbudgets");
            await Task.Delay(TimeSpan.FromSeconds(3)); // the budget's controller counts the pods
            var drain = await NodeDrain.RunAsync(target, null,
                new KubernetesDrillOptions { MinReady = Pods - 1, Timeout = TimeSpan.FromMinutes(10) }, CancellationToken.None);
            Console.WriteLine($"drain of {drain.Node}: {drain.Evicted.Count} evicted, {drain.Refused.Measured} refused, recovery "
                + $"{drain.RecoveryTime}, lowest ready {drain.LowestReady}; API outside the watch: {drain.ApiRequests} "
                + $"(target ≤ 1 read/s: {(drain.ApiRequests.ReadsPerSecond <= 1 ? "met" : "NOT met")})");
        }
        finally
        {
            await client.CoreV1.DeleteNamespaceAsync(ns);
        }
    }

    /// <summary>The Deployment, waited for until every replica is ready.</summary>
    private static async Task CreateAsync(k8s.Kubernetes client, KubernetesTarget target)
    {
        var labels = new Dictionary<string, string> { ["app"] = "web" };
        await client.AppsV1.CreateNamespacedDeploymentAsync(new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = "web" },
            Spec = new V1DeploymentSpec
            {
                Replicas = Pods, Selector = new V1LabelSelector { MatchLabels = labels },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = labels },
                    Spec = new V1PodSpec { Containers = [new V1Container { Name = "web", Image = "nginx" }] },
                },
            },
        }, target.Namespace);
        var waited = Stopwatch.StartNew();
        while (!(await WorkloadStatus.ReadAsync(target, CancellationToken.None)).Healthy)
        {
            if (waited.Elapsed > TimeSpan.FromMinutes(3)) throw new TimeoutException($"web never healthy at {Pods} replicas");
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// How much later than a bare watch DrTools and a 1 s poller saw one deleted pod's workload whole again, and DrTools saw
    /// it fall, in ms.
    /// </summary>
    private static async Task<(double DrTools, double Poller, double Dip)> LatencyAsync(k8s.Kubernetes client, KubernetesTarget target)
    {
        var pods = await client.CoreV1.ListNamespacedPodAsync(target.Namespace, labelSelector: "app=web");
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var bare = FirstBackAsync(client, target.Namespace, pods, stop.Token);
        using var polling = new CancellationTokenSource();
        var polls = PollAsync(client, target.Namespace, polling.Token);
        var result = await PodRecovery.RunAsync(target, new PodDeletion(Count: 1),
            new KubernetesDrillOptions { Timeout = TimeSpan.FromMinutes(3) }, CancellationToken.None);
        var (fell, seen) = await bare;
        // The poller's first read after the bare watch's event that shows it whole: at most a second later.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await polling.CancelAsync();
        var polled = (await polls).First(p => p.At >= seen && p.Ready == Pods).At;
        var sinceDeletion = Stopwatch.GetElapsedTime(result.DeletionStarted, seen).TotalMilliseconds;
        var fellSinceDeletion = Stopwatch.GetElapsedTime(result.DeletionStarted, fell).TotalMilliseconds;
        return (result.RecoveryTime.Measured * 1000 - sinceDeletion, Stopwatch.GetElapsedTime(seen, polled).TotalMilliseconds,
            (result.RecoveryTime.Measured - result.BelowDesired.Measured) * 1000 - fellSinceDeletion);
    }

    /// <summary>Reads of the Deployment every second from a random phase, as a poller would make them, with when each came back.</summary>
    private static async Task<List<(long At, int Ready)>> PollAsync(k8s.Kubernetes client, string ns, CancellationToken cancellationToken)
    {
        var polls = new List<(long, int)>();
        try
        {
            await Task.Delay(Random.Shared.Next(1000), cancellationToken);
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            do
            {
                var read = await client.AppsV1.ReadNamespacedDeploymentAsync("web", ns, cancellationToken: cancellationToken);
                polls.Add((Stopwatch.GetTimestamp(), read.Status?.ReadyReplicas ?? 0));
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException)
        {
            // The run is over: what was read is the poller's record.
        }
        return polls;
    }

    /// <summary>
    /// When the bare watch of the Deployment's pods first saw fewer than all of them ready and not terminating, and all of
    /// them again after that: the events DrTools measures from.
    /// </summary>
    private static async Task<(long Fell, long Back)> FirstBackAsync(k8s.Kubernetes client, string ns, V1PodList list,
        CancellationToken cancellationToken)
    {
        var ready = list.Items.Where(Serving).Select(p => p.Metadata.Uid).ToHashSet();
        long? fell = null;
        await foreach (var (type, pod) in client.CoreV1.WatchListNamespacedPodAsync(ns, labelSelector: "app=web",
            resourceVersion: list.Metadata.ResourceVersion, cancellationToken: cancellationToken))
        {
            if (type != WatchEventType.Deleted && Serving(pod)) ready.Add(pod.Metadata.Uid);
            else ready.Remove(pod.Metadata.Uid);
            if (ready.Count < Pods) fell ??= Stopwatch.GetTimestamp();
            else if (fell is { } at) return (at, Stopwatch.GetTimestamp());
        }
        throw new InvalidOperationException("the bare watch ended before the Deployment was whole again");
    }

    private static bool Serving(V1Pod pod) => pod.Metadata.DeletionTimestamp is null
        && pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;
}
