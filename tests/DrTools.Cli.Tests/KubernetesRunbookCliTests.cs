using DrTools.Core.Runbooks;
using DrTools.Core.Tests;

namespace DrTools.Cli.Tests;

/// <summary>
/// The shipped Kubernetes runbook against a real API server (kube-lab), found as kubectl finds it (KUBECONFIG) and named
/// by --var; a missing workload is a failed pre-check; kube-system through a variable is never allowed for drills.
/// </summary>
[Collection("Kubernetes")]
public sealed class KubernetesRunbookCliTests(KubeLab lab)
{
    private static readonly string Runbook = Path.Combine(Drtools.RepositoryRoot, "runbooks", "kubernetes-pod-recovery.yml");

    private Task<CliResult> RunAsync(TemporaryRoot history, params string[] arguments) => Drtools.RunAsync(
        new Dictionary<string, string> { ["KUBECONFIG"] = lab.Kubeconfig, ["DRTOOLS_FAULT_STATE"] = Path.Combine(history.Path, "faults") },
        ["run", .. arguments, "--history", history.Path]);

    [KubernetesFact]
    public async Task The_shipped_runbook_runs_green_and_its_report_holds_the_recovery_to_the_rto()
    {
        var target = await KubeWorkloads.CreateAsync(lab, "shipped", 3);
        using var history = new TemporaryRoot();

        var run = await RunAsync(history, Runbook, "--var", $"namespace={target.Namespace}", "--var", "deployment=shipped");

        Assert.True(run.ExitCode == 0, run.All);
        var journal = RunbookCliTests.LoadOnlyJournal(history);
        Assert.Equal(RunStatus.Passed, journal.Status);
        Assert.Equal(["Delete every pod", "Workload healthy again", "Drain the busiest node"], journal.Steps
            .Where(s => s.Section == RunbookSection.Step).Select(s => s.Name));
        var rto = Assert.Single(journal.Objectives, o => o.Name == "rto");
        Assert.Equal(1800, rto.Target);
        Assert.StartsWith("sum of: 'Delete every pod' recovery time = ", rto.Measurement!.Method);
        var floor = Assert.Single(journal.Objectives, o => o.Name == "minReady");
        Assert.True(floor.AtLeast && floor.Met && floor.Measurement!.Measured >= 2, floor.Verdict);
        var markdown = File.ReadAllText(Path.Combine(journal.Folder!, "report.md"));
        Assert.Contains($"| recovery time (RTO) | ≤ 1800 s | {rto.Measurement.ExactText} | yes | sum of: 'Delete every pod' recovery time",
            markdown);
        Assert.Contains("| MINREADY: fewest ready replicas | ≥ 2 replicas |", markdown);
        Assert.Contains($"Kubernetes deployment {target.Namespace}/shipped (allowed for drills by the runbook)", markdown);
        Assert.False(await KubeWorkloads.CordonedAnyAsync(lab));

        // The drill in the metrics, as a database drill's: its last RTO and its floor against their targets.
        var metrics = await Drtools.RunAsync("metrics", "--history", history.Path);
        Assert.True(metrics.ExitCode == 0, metrics.All);
        double Metric(string name)
        {
            var line = System.Text.RegularExpressions.Regex.Match(metrics.StandardOutput, $@"(?m)^{name}\{{drill=""Kubernetes pod "
                + $@"recovery drill"",target=""app: Kubernetes deployment {target.Namespace}/shipped[^""]*""\}} (\S+)$");
            Assert.True(line.Success, $"{name} missing: {metrics.StandardOutput}");
            return double.Parse(line.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        }
        Assert.Equal(rto.Measurement.Measured, Metric("drtools_drill_last_rto_seconds"), 3);
        Assert.Equal(2, Metric("drtools_drill_min_ready_target_replicas"));
        Assert.Equal(floor.Measurement.Measured, Metric("drtools_drill_last_min_ready_replicas"));
    }

    [KubernetesFact]
    public async Task A_missing_workload_is_a_failed_pre_check_and_nothing_runs()
    {
        var target = await KubeWorkloads.CreateAsync(lab, "present", 1);
        using var history = new TemporaryRoot();

        var run = await RunAsync(history, Runbook, "--var", $"namespace={target.Namespace}", "--var", "deployment=absent");

        Assert.True(run.ExitCode == 1, run.All);
        var journal = RunbookCliTests.LoadOnlyJournal(history);
        var check = Assert.Single(journal.Steps, s => s.Section == RunbookSection.PreCheck);
        Assert.Equal(StepStatus.Failed, check.Status);
        Assert.Contains($"deployment {target.Namespace}/absent: cannot read the deployment: not found", check.Message);
        Assert.All(journal.Steps.Where(s => s.Section == RunbookSection.Step), s => Assert.Equal(StepStatus.Skipped, s.Status));
        Assert.Equal(1, (await DrTools.Core.Kubernetes.WorkloadStatus.ReadAsync(target, CancellationToken.None)).Desired);
    }

    [KubernetesFact]
    public async Task Kube_system_through_a_variable_is_not_allowed_for_drills_however_the_runbook_allows_its_target()
    {
        using var history = new TemporaryRoot();
        var file = Path.Combine(history.Path, "system.yml");
        File.WriteAllText(file, """
            name: System
            variables: { namespace: drill }
            targets:
              app: { kubernetes: { namespace: "${namespace}", deployment: coredns }, allowDrill: true }
            steps:
              - { name: Delete, run: Invoke-DrPodRecovery, with: { target: app } }
            """);

        var run = await RunAsync(history, file, "--var", "namespace=kube-system");

        Assert.True(run.ExitCode == 1, run.All);
        var step = Assert.Single(RunbookCliTests.LoadOnlyJournal(history).Steps);
        Assert.Equal(StepStatus.Failed, step.Status);
        Assert.StartsWith("pod deletion refused: namespace kube-system is not allowed for drills", step.Message);
        Assert.Contains("kube-system only ever by that name", step.Message);
    }

    /// <summary>A runbook target named by a label selector: its pods drained off the busiest node above minReady.</summary>
    [KubernetesFact]
    public async Task A_selector_target_is_drained_above_min_ready()
    {
        var target = await KubeWorkloads.CreateAsync(lab, "rb-sel", 3);
        await KubeWorkloads.CreateBudgetAsync(lab, target, maxUnavailable: 1);
        using var history = new TemporaryRoot();
        var file = Path.Combine(history.Path, "selector.yml");
        File.WriteAllText(file, """
            name: Selector drain
            variables: { namespace: drill, app: web }
            objectives: { minReady: 2 }
            targets:
              app: { kubernetes: { namespace: "${namespace}", selector: "app=${app}" }, allowDrill: true }
            preChecks:
              - { name: Healthy, run: Get-DrWorkloadStatus, with: { target: app, expectReplicas: 3 } }
            steps:
              - { name: Drain, run: Invoke-DrNodeDrain, with: { target: app }, objective: minReady }
            """);

        var run = await RunAsync(history, file, "--var", $"namespace={target.Namespace}", "--var", "app=rb-sel");

        Assert.True(run.ExitCode == 0, run.All);
        var journal = RunbookCliTests.LoadOnlyJournal(history);
        var floor = Assert.Single(journal.Objectives, o => o.Name == "minReady");
        Assert.True(floor.Met && floor.Measurement!.Measured >= 2, floor.Verdict);
        var drain = Assert.Single(journal.Steps, s => s.Name == "Drain");
        Assert.Contains(drain.Measurements, f => f.Name == "recovery time" && f.Met == true
            && f.Method.Contains("the pod watch event with 3 of the pods", StringComparison.Ordinal));
        Assert.Contains(drain.Measurements, f => f.Name == "disruption budget rb-sel held" && f.Met == true);
        Assert.False(await KubeWorkloads.CordonedAnyAsync(lab));
    }
}
