using DrTools.Core.Runbooks;

namespace DrTools.Core.Tests;

public sealed class RunbookParserTests
{
    private const string Valid = """
        name: Drill
        objectives: { rto: 30s }
        targets:
          db: { sandbox: { standbys: 1 } }
        steps:
          - { name: Before, run: Get-DbChecksum, with: { target: db }, save: before }
          - { name: Fail over, run: Invoke-DbFailover, with: { target: db, mode: Failover }, objective: rto }
          - { name: After, run: Compare-DbChecksum, with: { target: db, reference: "${before}" } }
        """;

    [Fact]
    public void A_valid_runbook_parses_with_its_steps_variables_and_objectives()
    {
        var runbook = RunbookParser.Parse(Valid, "drill.yml");
        Assert.Equal("Drill", runbook.Name);
        Assert.Equal(["Get-DbChecksum", "Invoke-DbFailover", "Compare-DbChecksum"], runbook.Steps.Select(s => s.Kind));
        Assert.Equal("before", runbook.Steps[0].Save);
        Assert.Equal(["rto"], runbook.Steps[1].Objectives);
        Assert.Equal(30, runbook.Objectives.Single().Target);
        Assert.Equal(1, runbook.Targets.Single().Sandbox!.Standbys);
    }

    [Theory]
    [MemberData(nameof(ShippedRunbooks))]
    public void Every_shipped_runbook_is_valid(string file)
    {
        var runbook = RunbookParser.Load(file);
        Assert.NotEmpty(runbook.Steps);
        if (runbook.Targets.Any(t => t.Sandbox is not null)) Assert.Contains(runbook.Cleanup, s => s.Kind == "Remove-DrSandbox");
    }

    public static TheoryData<string> ShippedRunbooks()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "runbooks");
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(folder, "*.yml").Order()) data.Add(file);
        return data;
    }

    [Theory]
    // YAML syntax: the unclosed flow mapping is reported where the parser gave up.
    [InlineData("name: x\nsteps:\n  - { run: Get-DbChecksum, with: { target: db }\n", 4, 1, "")]
    [InlineData("name: x\ntargets: { db: { sandbox: {} } }\nsteps:\n  - { run: Invoke-DbFailure, with: { target: db } }\n", 4, 12, "unknown operation 'Invoke-DbFailure'")]
    [InlineData("name: x\ntargets: { db: { sandbox: {} } }\nsteps:\n  - { run: Test-ReplicationLag, with: { target: db, maxLagSeconds: soon } }\n", 4, 68, "'soon' is not a number")]
    [InlineData("name: x\ntargets: { db: { sandbox: {} } }\nsteps:\n  - { run: Compare-DbChecksum, with: { target: db, reference: \"${before}\" } }\n", 4, 63, "variable ${before} is not defined here")]
    [InlineData("name: x\ntargets: { db: { sandbox: {} } }\nsteps:\n  - { run: Get-DbChecksum, with: { target: dbb } }\n", 4, 44, "'dbb' is not a target of this runbook")]
    [InlineData("name: x\ntargets: { db: { sandbox: {} } }\nsteps:\n  - { run: Get-DbChecksum, with: { target: db, tables: [a] } }\n", 4, 48, "Get-DbChecksum has no parameter 'tables'")]
    [InlineData("name: x\ntargets: { db: { sandbox: {} } }\nsteps:\n  - { run: Invoke-DbQuery, with: { target: db } }\n", 4, 5, "Invoke-DbQuery needs query")]
    [InlineData("name: x\ntargets: { db: { sandbox: {} } }\nsteps:\n  - { run: Get-DbChecksum, with: { target: db }, save: c }\n  - { run: Compare-DbChecksum, with: { target: db, reference: \"${c.Tables}\" } }\n", 5, 63, "holds a IReadOnlyList`1")]
    [InlineData("name: x\ntargets: { db: { sandbox: {} } }\nsteps:\n  - { run: Get-DbChecksum, with: { target: db }, objective: rpo }\n", 4, 61, "objective 'rpo' is not among the runbook's objectives")]
    [InlineData("name: x\ntargets: { db: { sandbox: {} } }\nsteps:\n  - { script: 'Get-Date' }\n", 4, 15, "script: steps are PowerShell")]
    [InlineData("name: x\ntargets: { db: { sandbox: { standbys: 9 } } }\nsteps:\n  - { run: Get-DbChecksum, with: { target: db } }\n", 2, 39, "'9' is not a whole number from 0 to 8")]
    [InlineData("name: x\ntargets: { db: { sandbox: {} } }\nsteps:\n  - { run: Get-DbChecksum, with: { target: db }, timeot: 5s }\n", 4, 50, "unknown key 'timeot'")]
    [InlineData("name: x\ntargets: { db: { connection: 'Host=a', patroni: [a:8008] } }\nsteps:\n  - { run: Get-DbChecksum, with: { target: db } }\n", 2, 50, "target 'db' patroni: Patroni REST API 'a:8008': write it as http://HOST:PORT")]
    [InlineData("name: x\ntargets: { db: { sandbox: {}, patroni: 'http://a:8008' } }\nsteps:\n  - { run: Get-DbChecksum, with: { target: db } }\n", 2, 40, "a sandbox knows its own Patroni")]
    [InlineData("name: x\nobjectives: { maxErrorRate: 150% }\ntargets: { db: { sandbox: {} } }\nsteps:\n  - { run: Get-DbChecksum, with: { target: db } }\n", 2, 29, "objectives.maxErrorRate: '150%' is not a percentage from 0 to 100")]
    [InlineData("name: x\nobjectives: { p99: 1s }\ntargets: { db: { sandbox: {} } }\nsteps:\n  - { run: Get-DbChecksum, with: { target: db }, objective: p99 }\n", 5, 61, "Get-DbChecksum does not measure HTTP latency (httpProbe:), so it cannot count toward p99 (operations that do: Invoke-DbFailover, Start-DrFault, Invoke-DrPodRecovery, Invoke-DrNodeDrain, Invoke-DrNodeLoss)")]
    [InlineData("name: x\ntargets: { db: { sandbox: { walDiskSize: 1MB } } }\nsteps:\n  - { run: Get-DbChecksum, with: { target: db } }\n", 2, 42, "sandbox.walDiskSize: '1MB' is out of range; from 128MB to 64GB")]
    [InlineData("name: x\ntargets: { db: { sandbox: { topology: patroni, faultProxy: true } } }\nsteps:\n  - { run: Get-DbChecksum, with: { target: db } }\n", 2, 60, "faultProxy: only for a streaming sandbox")]
    [InlineData("name: x\nnotify: [ftp://example.com/hook]\ntargets: { db: { sandbox: {} } }\nsteps:\n  - { run: Get-DbChecksum, with: { target: db } }\n", 2, 10, "notify[0]: 'ftp://example.com/hook' is not an http(s) URL.")]
    [InlineData("name: x\nnotify: { url: 'https://example.com/hook', format: pager }\ntargets: { db: { sandbox: {} } }\nsteps:\n  - { run: Get-DbChecksum, with: { target: db } }\n", 2, 9, "notify: format 'pager' is not json, slack or teams.")]
    [InlineData("name: x\ntargets: { k: { kubernetes: { namespace: '${ns}', deployment: web } } }\nsteps:\n  - { run: Get-DrWorkloadStatus, with: { target: k } }\n", 2, 42, "variable ${ns} is not defined here")]
    [InlineData("name: x\ntargets: { k: { kubernetes: { namespace: a, deployment: web, statefulset: db } } }\nsteps:\n  - { run: Get-DrWorkloadStatus, with: { target: k } }\n", 2, 29, "name one workload (deployment: or statefulset:)")]
    [InlineData("name: x\ntargets: { k: { kubernetes: { namespace: a }, engine: redis } }\nsteps:\n  - { run: Get-DrWorkloadStatus, with: { target: k } }\n", 2, 55, "a Kubernetes target takes only kubernetes: and allowDrill:")]
    [InlineData("name: x\nvariables: { run: a }\ntargets: { k: { kubernetes: { namespace: a } } }\nsteps:\n  - { run: Get-DrWorkloadStatus, with: { target: k } }\n", 2, 14, "'run' is not a variable name")]
    [InlineData("name: x\nobjectives: { minReady: some }\ntargets: { k: { kubernetes: { namespace: a } } }\nsteps:\n  - { run: Get-DrWorkloadStatus, with: { target: k } }\n", 2, 25, "'some' is not a whole number from 0 to 10000")]
    public void A_malformed_runbook_gives_one_error_with_its_line_and_column(string yaml, int line, int column, string message)
    {
        var error = Assert.Throws<RunbookInvalidException>(() => RunbookParser.Parse(yaml, "bad.yml"));
        Assert.True(error.Errors.Count == 1, error.Message);
        Assert.Equal(new SourcePosition(line, column), error.Errors[0].Position);
        Assert.StartsWith($"bad.yml:{line}:{column}: ", error.Message);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Every_problem_of_a_file_is_reported_at_once()
    {
        const string yaml = "name: x\ntargets: { db: { sandbox: {} } }\nsteps:\n  - { run: Nope }\n  - { run: Get-DbChecksum, with: { target: elsewhere } }\n";
        var error = Assert.Throws<RunbookInvalidException>(() => RunbookParser.Parse(yaml, "bad.yml"));
        Assert.Equal([4, 5], error.Errors.Select(e => e.Position.Line));
    }

    [Fact]
    public void Script_steps_are_accepted_where_PowerShell_runs_them()
    {
        var runbook = RunbookParser.Parse("name: x\nsteps:\n  - { name: Mine, script: 'Get-Date', save: now }\n  - { script: '$now', with: { at: \"${now}\" } }\n", "ps.yml", scriptSteps: true);
        Assert.Equal(["script", "script"], runbook.Steps.Select(s => s.Kind));
    }

    [Fact]
    public void Variables_name_a_kubernetes_target_and_are_set_over_their_defaults_or_refused_when_undeclared()
    {
        const string yaml = """
            name: Pods
            variables: { namespace: drill, deployment: web }
            objectives: { rto: 30s, minReady: 2 }
            targets:
              app: { kubernetes: { namespace: "${namespace}", deployment: "${deployment}" }, allowDrill: true }
            steps:
              - { run: Invoke-DrNodeDrain, with: { target: app }, objective: [rto, minReady] }
            """;
        var runbook = RunbookParser.Parse(yaml, "pods.yml");
        var target = runbook.Targets.Single().Kubernetes!;
        Assert.Equal(("${namespace}", Kubernetes.WorkloadKind.Deployment, "${deployment}", true),
            (target.Namespace, target.Kind!.Value, target.Workload, target.AllowDrill));
        Assert.Equal(2, runbook.Objectives.Single(o => o.Name == "minReady").Target);
        Assert.Equal("backup-system", runbook.WithVariables([KeyValuePair.Create("namespace", "backup-system")]).Variables["namespace"]);
        Assert.Equal("web", runbook.Variables["deployment"]);
        var undeclared = Assert.Throws<DrToolsException>(() => runbook.WithVariables([KeyValuePair.Create("replicas", "3")]));
        Assert.Equal("variable 'replicas': pods.yml declares only namespace, deployment (variables:).", undeclared.Message);
    }
}
