using DrTools.Core.Runbooks;

namespace DrTools.Core.Tests;

/// <summary>
/// A runbook step that starts a fault: in the "Faults" collection, since the fault tests' sweeps (stop --all) undo
/// every fault of this process, and this test's latency was undone under it or counted as theirs.
/// </summary>
[Collection("Faults")]
public sealed class RunbookFaultStepTests
{
    [Fact]
    public async Task HTTP_probe_targets_count_as_run_objectives_and_latency_through_the_fault_proxy_misses_p99()
    {
        using var root = new TemporaryRoot();
        using var history = new TemporaryRoot();
        string? database = null;
        // The application answers after one query of the primary, through the sandbox's fault proxy.
        using var application = new HealthEndpoint(async () =>
        {
            if (Volatile.Read(ref database) is { } connectionString) await Sql.ScalarOnAsync<int>(connectionString, "select 1");
            return 200;
        });
        var observer = new StepObserver(step =>
        {
            if (step.Name != "Slow the primary") return;
            var sandbox = Sandboxes.Sandbox.Open(Sandboxes.Sandbox.List(root.Path).Single().Id, root.Path);
            var connectionString = sandbox.ConnectionString(sandbox.Members[0]);
            // Two pooled connections opened before the latency: under it, an answer is one round trip, not a login's five.
            using (var first = new Npgsql.NpgsqlConnection(connectionString))
            using (var second = new Npgsql.NpgsqlConnection(connectionString))
            {
                Task.WaitAll(first.OpenAsync(), second.OpenAsync());
            }
            Volatile.Write(ref database, connectionString);
        });
        var yaml = $"""
            name: Degraded primary
            objectives: {"{"} maxErrorRate: 5%, p99: 100ms {"}"}
            targets:
              db: {"{"} sandbox: {"{"} standbys: 0, faultProxy: true {"}"} {"}"}
            steps:
              - name: Slow the primary
                run: Start-DrFault
                with: {"{"} target: db, kind: Latency, member: node0, parameter: [delay=100ms], duration: 3s, httpProbe: "{application.Url}", httpProbeRate: 2 {"}"}
                objective: [maxErrorRate, p99]
            """;

        var journal = await RunbookExecutorTests.RunAsync(yaml, root, history, observer);

        var objectives = journal.Objectives.ToDictionary(o => o.Name);
        Assert.True(objectives["maxErrorRate"].Met, objectives["maxErrorRate"].Measurement?.ToString());
        Assert.Equal("%", objectives["maxErrorRate"].Unit);
        var p99 = objectives["p99"].Measurement!;
        // 100 ms each way on every round trip of the application's query: its p99 cannot stay under 200 ms.
        Assert.True(p99.Measured >= 200, $"p99 {p99.Measured} ms");
        Assert.False(objectives["p99"].Met);
        Assert.Equal(("HTTP latency p99", "ms", 100.0), (p99.Name, p99.Unit, p99.Target!.Value));
        Assert.Equal(StepStatus.Passed, journal.Steps.Single().Status);
        Assert.Equal(RunStatus.Failed, journal.Status);
        var markdown = Runbooks.Reports.Report.Render(journal, Runbooks.Reports.ReportFormat.Markdown);
        Assert.Matches(@"\| P99: HTTP latency p99 \| ≤ 100 ms \| [\d.]+ ms \| no \|", markdown);
        RunbookExecutorTests.AssertLeftNothing(root, journal);
    }
}
