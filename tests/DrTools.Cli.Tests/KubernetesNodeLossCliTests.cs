using System.Text.Json;
using DrTools.Core.Kubernetes;
using DrTools.Core.Tests;

namespace DrTools.Cli.Tests;

/// <summary>
/// drtools kubernetes node-loss against a kube-lab of its own (the node it takes away does not come back): the node's
/// Node object deleted by the fault command, as a user's kubectl would, and the workload measured whole on other nodes.
/// </summary>
public sealed class KubernetesNodeLossCliTests
{
    [OwnKubeLabFact]
    public async Task A_node_taken_away_by_the_fault_command_is_measured_until_its_pods_run_elsewhere()
    {
        var lab = new KubeLab();
        try
        {
            await lab.InitializeAsync();
            var target = await KubeWorkloads.CreateAsync(lab, "lost", 2);
            var before = await WorkloadStatus.ReadAsync(target, CancellationToken.None);
            var node = before.Pods[0].Node!;

            var loss = await Drtools.RunAsync(new Dictionary<string, string> { ["KUBECONFIG"] = lab.Kubeconfig }, ["kubernetes",
                "node-loss", "--namespace", target.Namespace, "--deployment", "lost", "--allow-drill-on", target.Namespace,
                "--node", node,
                "--fault-command", "kubectl delete node \"$DRTOOLS_NODE\"", "--rto", "3m", "--min-ready", "1", "--timeout", "4m", "--json"]);

            Assert.True(loss.ExitCode == 0, loss.All);
            var result = JsonDocument.Parse(loss.StandardOutput).RootElement;
            Assert.Equal(node, result.GetProperty("node").GetString());
            Assert.Equal([before.Pods[0].Name], result.GetProperty("lost").EnumerateArray().Select(p => p.GetString()));
            var made = Assert.Single(result.GetProperty("rescheduled").EnumerateArray()).GetString()!;
            Assert.DoesNotContain($" on {node}", made, StringComparison.Ordinal);
            Assert.False(result.GetProperty("recoveryTime").GetProperty("moreThan").GetBoolean());
            Assert.True(result.GetProperty("lowestReady").GetProperty("measured").GetDouble() >= 1, loss.StandardOutput);
            Assert.Contains(result.GetProperty("timeline").EnumerateArray(), e => e.GetProperty("what").GetString()
                == $"the fault command 'kubectl delete node \"$DRTOOLS_NODE\"' for node {node} returned");
            var after = await WorkloadStatus.ReadAsync(target, CancellationToken.None);
            Assert.True(after.Healthy, after.Verdict);
            Assert.DoesNotContain(after.Pods, p => p.Node == node);
        }
        finally
        {
            await lab.DisposeAsync();
        }
    }
}
