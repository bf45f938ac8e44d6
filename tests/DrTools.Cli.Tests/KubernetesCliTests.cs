using DrTools.Core.Tests;
using System.Text.Json;

namespace DrTools.Cli.Tests;

/// <summary>drtools kubernetes against a real API server (kube-lab): status, a refusal, and a pod-deletion drill.</summary>
[Collection("Kubernetes")]
public sealed class KubernetesCliTests(KubeLab lab)
{
    [KubernetesFact]
    public async Task Status_then_a_pod_deletion_drill_allowed_by_its_namespace_is_measured_and_reported()
    {
        var target = await KubeWorkloads.CreateAsync(lab, "cli", 3);
        string[] workload = ["--kubeconfig", lab.Kubeconfig, "--namespace", target.Namespace, "--deployment", target.Workload!];

        var status = await Drtools.RunAsync(["kubernetes", "status", .. workload]);
        Assert.True(status.ExitCode == 0, status.All);
        Assert.StartsWith($"deployment {target.Namespace}/cli: healthy: 3/3 ready", status.StandardOutput);

        // Not named for drills: one line, exit 2, nothing deleted.
        var refused = await Drtools.RunAsync(["kubernetes", "delete-pods", .. workload]);
        Assert.True(refused.ExitCode == 2, refused.All);
        Assert.Equal($"drtools: pod deletion refused: namespace {target.Namespace} is not allowed for drills: name it (-AllowDrillOn / "
            + "--allow-drill-on / allowDrill: in a runbook, or DRTOOLS_ALLOW_DRILL_ON). Nothing was changed.",
            refused.StandardError.Trim());

        // The application's URL probed beside it (kube-lab's pods serve nothing: an endpoint of the test's own stands in).
        using var application = new HealthEndpoint();
        var drill = await Drtools.RunAsync(["kubernetes", "delete-pods", .. workload, "--allow-drill-on", target.Namespace, "--count", "2",
            "--rto", "60s", "--min-ready", "1", "--http-probe", application.Url, "--max-error-rate", "0", "--json"]);
        Assert.True(drill.ExitCode == 0, drill.All);
        var result = JsonDocument.Parse(drill.StandardOutput).RootElement;
        Assert.Equal(2, result.GetProperty("deleted").GetArrayLength());
        var recovery = result.GetProperty("recoveryTime");
        Assert.True(recovery.GetProperty("met").GetBoolean());
        Assert.InRange(recovery.GetProperty("measured").GetDouble(), 0.001, 60);
        // The fewest ready, held to --min-ready as a floor.
        var lowest = result.GetProperty("lowestReady");
        Assert.True(lowest.GetProperty("measured").GetDouble() >= 1);
        Assert.Equal(1, lowest.GetProperty("target").GetDouble());
        Assert.True(lowest.GetProperty("atLeast").GetBoolean());
        Assert.True(lowest.GetProperty("met").GetBoolean());
        Assert.Contains(result.GetProperty("timeline").EnumerateArray(), e => e.GetProperty("what").GetString()!.StartsWith(
            "every replica ready again", StringComparison.Ordinal));
        var probe = result.GetProperty("httpProbe");
        Assert.True(probe.GetProperty("attempts").GetInt32() > 0, drill.StandardOutput);
        Assert.Equal(0, probe.GetProperty("failed").GetInt32());
        Assert.Contains(probe.GetProperty("figures").EnumerateArray(), f => f.GetProperty("name").GetString() == "HTTP error rate"
            && f.GetProperty("met").GetBoolean());
    }

    [KubernetesFact]
    public async Task Two_workloads_named_at_once_are_one_line_and_exit_2()
    {
        var both = await Drtools.RunAsync(["kubernetes", "status", "--kubeconfig", lab.Kubeconfig, "--namespace", "default",
            "--deployment", "a", "--statefulset", "b"]);
        Assert.True(both.ExitCode == 2, both.All);
        Assert.Equal("drtools: --deployment and --statefulset both name a workload: give one.", both.StandardError.Trim());
    }

    /// <summary>-l / --selector as kubectl takes it: the pods it selects are the workload; it has no replica count to scale.</summary>
    [KubernetesFact]
    public async Task A_label_selector_names_the_workload_as_kubectl_l_does()
    {
        var target = await KubeWorkloads.CreateAsync(lab, "cli-sel", 3);
        string[] cluster = ["--kubeconfig", lab.Kubeconfig, "--namespace", target.Namespace];

        var status = await Drtools.RunAsync(["kubernetes", "status", .. cluster, "-l", "app=cli-sel"]);
        Assert.True(status.ExitCode == 0, status.All);
        Assert.StartsWith($"selector {target.Namespace}/app=cli-sel: healthy: 3/3 ready", status.StandardOutput);

        var drill = await Drtools.RunAsync(["kubernetes", "delete-pods", .. cluster, "--selector", "app=cli-sel", "--allow-drill-on",
            target.Namespace, "--count", "1", "--rto", "60s", "--json"]);
        Assert.True(drill.ExitCode == 0, drill.All);
        var result = JsonDocument.Parse(drill.StandardOutput).RootElement;
        Assert.Equal(1, result.GetProperty("deleted").GetArrayLength());
        Assert.True(result.GetProperty("recoveryTime").GetProperty("met").GetBoolean(), drill.StandardOutput);
        Assert.Equal(2, result.GetProperty("lowestReady").GetProperty("measured").GetDouble());

        // A timeout shorter than the RTO could tell a recovery between them neither met nor missed: refused, nothing deleted.
        var shorter = await Drtools.RunAsync(["kubernetes", "delete-pods", .. cluster, "-l", "app=cli-sel", "--allow-drill-on",
            target.Namespace, "--rto", "60s", "--timeout", "30s"]);
        Assert.True(shorter.ExitCode == 2, shorter.All);
        Assert.StartsWith("drtools: timeout 30", shorter.StandardError);
        Assert.Contains("is shorter than the RTO 60s: ", shorter.StandardError);
        var empty = await Drtools.RunAsync(["kubernetes", "delete-pods", .. cluster, "-l", "", "--allow-drill-on", target.Namespace]);
        Assert.True(empty.ExitCode == 2, empty.All);
        Assert.Equal($"drtools: namespace {target.Namespace}: an empty selector names no workload.", empty.StandardError.Trim());
        var scale = await Drtools.RunAsync(["kubernetes", "scale", .. cluster, "-l", "app=cli-sel", "--replicas", "1", "--allow-drill-on",
            target.Namespace]);
        Assert.True(scale.ExitCode == 2, scale.All);
        Assert.Equal($"drtools: selector {target.Namespace}/app=cli-sel: the pods a label selector selects have no replica count to "
            + "scale: name a Deployment or a StatefulSet.", scale.StandardError.Trim());
        Assert.Equal(3, (await DrTools.Core.Kubernetes.WorkloadStatus.ReadAsync(target, CancellationToken.None)).Desired);
    }
}
