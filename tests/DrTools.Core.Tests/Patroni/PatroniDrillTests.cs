using DrTools.Core.Cluster;
using DrTools.Core.Failover;
using DrTools.Core.Patroni;
using DrTools.Core.Probes;
using DrTools.Core.Sandboxes;
using Npgsql;

namespace DrTools.Core.Tests;

/// <summary>Drills in which Patroni, not DrTools, recovers: real etcd, Patroni and HAProxy; DrTools injects and observes.</summary>
public sealed class PatroniDrillTests
{
    private static Task<Sandbox> CreateAsync(TemporaryRoot root, int members = 3) => Sandbox.CreateAsync(new SandboxOptions
    {
        Topology = SandboxTopology.Patroni,
        Standbys = members - 1,
        Root = root.Path,
        // The fast settings teams use in drills (Patroni's rule: loop_wait + 2 × retry_timeout ≤ ttl).
        PatroniSettings = PatroniSettings.Defaults.With(["ttl=10,loop_wait=2,retry_timeout=4"]),
    }, CancellationToken.None);

    private static async Task<FailoverResult> DrillAsync(Sandbox sandbox, FailoverOptions options)
    {
        var recovery = Recovery.For(sandbox.Target, sandbox, null, null, null, null);
        Assert.Equal(RecoveredBy.Patroni, recovery.RecoveredBy);
        return await recovery.RunAsync(await recovery.PlanAsync(options, CancellationToken.None), options, CancellationToken.None);
    }

    private static double Figure(FailoverResult result, string name) => result.Figures.Single(f => f.Name == name).Measured;

    [Fact]
    public async Task A_planned_switchover_through_patroni_loses_no_write_and_the_named_candidate_leads()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await CreateAsync(root);
        var options = new FailoverOptions { Mode = FailoverMode.Switchover, Candidate = "node2", RpoTarget = TimeSpan.Zero, WriteProbe = new ProbeOptions { Rate = 50 } };

        var result = await DrillAsync(sandbox, options);

        Assert.Equal("Patroni", result.RecoveredBy);
        Assert.StartsWith("node2 ", result.NewPrimary);
        Assert.Equal(0, result.LostWrites.Measured);
        Assert.Empty(await ProbeRows.MissingAsync(sandbox, result));
        Assert.Equal("not checked: nothing in scope", result.IntegrityResult); // no user table in this sandbox
        Assert.InRange(result.WriteUnavailability.Measured, 0.001, 30);
        Assert.Contains($"through Host=127.0.0.1:{sandbox.Patroni!.WritePort}; Target Session Attributes=any", result.WriteUnavailability.Method);
        Assert.Contains(result.Timeline, e => e.Name == "HAProxy routes writes to the new leader" && e.Detail == "node2");
        Assert.Contains(result.Timeline, e => e.Name == "old primary rejoined as a standby" && e.Detail == "node0 streams from node2");
        Assert.Equal(0, Figure(result, "writes acknowledged by another node after the leader (split brain)"));
        Assert.True(Figure(result, "HAProxy switch time") >= Figure(result, "promotion time"));
        // Patroni answers POST /switchover once it is done: detection was measured only after that answer before the drill
        // observed while it waited (an independent client saw the old leader's PostgreSQL down 1.7 s before the answer).
        var answered = result.Timeline.Single(e => e.Name == "Patroni answered the switchover").At;
        Assert.True(result.Timeline.Single(e => e.Name == "Patroni noticed").At < answered, string.Join("; ", result.Timeline));
        // One poll of a loaded machine may see both (the same reading then).
        Assert.True(Figure(result, "detection time") <= Figure(result, "promotion time"));
        var status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);
        Assert.True(status.Healthy, status.Verdict);
        Assert.Equal("node2", status.Primary!.Name);
    }

    [Fact]
    public async Task Node_loss_of_the_leader_is_recovered_by_patroni_and_the_node_rejoins_when_it_comes_back()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await CreateAsync(root);
        var options = new FailoverOptions { Mode = FailoverMode.Failover, Fault = NodeFault.KillNode, Rejoin = true, WriteProbe = new ProbeOptions { Rate = 50 } };

        var result = await DrillAsync(sandbox, options);

        Assert.StartsWith("SIGKILL of Patroni and every PostgreSQL process of node0", result.Fault);
        Assert.DoesNotContain("node0", result.NewPrimary);
        Assert.Equal(await ProbeRows.MissingAsync(sandbox, result), result.LostSequences);
        var detection = Figure(result, "detection time");
        Assert.True(detection <= Figure(result, "promotion time") && Figure(result, "promotion time") <= Figure(result, "HAProxy switch time"), string.Join("; ", result.Figures));
        // Patroni waits for the leader key to expire: with ttl 10 a node loss is noticed in seconds, not instantly.
        Assert.InRange(result.WriteUnavailability.Measured, 1, 40);
        Assert.Contains(result.Timeline, e => e.Name == "node restarted" && e.Detail == "Patroni started again on node0");
        Assert.Contains(result.Timeline, e => e.Name == "old primary rejoined as a standby");
        Assert.Contains("node0 rejoined as a streaming replica", result.State);
        var status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);
        Assert.True(status.Healthy, status.Verdict);
    }

    [Theory]
    [InlineData(NodeFault.KillPostgres)]
    [InlineData(NodeFault.StopPatroni)]
    public async Task Each_fault_on_the_leader_is_recovered_by_patroni_with_the_figures_and_timeline_filled(NodeFault fault)
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await CreateAsync(root, members: 2);
        var options = new FailoverOptions { Mode = FailoverMode.Failover, Fault = fault, Rejoin = true, WriteProbe = new ProbeOptions { Rate = 50 } };

        var result = await DrillAsync(sandbox, options);

        Assert.Equal(await ProbeRows.MissingAsync(sandbox, result), result.LostSequences);
        Assert.Contains(result.Timeline, e => e.Name == "fault issued");
        Assert.Contains(result.Timeline, e => e.Name == "Patroni elected a leader");
        Assert.Contains(result.Timeline, e => e.Name == "HAProxy routes writes to the new leader");
        Assert.Contains(result.Figures, f => f.Name == "detection time");
        // KillPostgres: Patroni may restart PostgreSQL in place rather than fail over; the result says which.
        Assert.True(result.NewPrimary.StartsWith("node0 ", StringComparison.Ordinal)
            ? result.State.Contains("Patroni restarted its PostgreSQL in place", StringComparison.Ordinal)
            : result.State.Contains("node0 rejoined as a streaming replica", StringComparison.Ordinal), result.State);
        Assert.Equal(fault == NodeFault.StopPatroni, result.Timeline.Any(e => e.Name == "node restarted"));
        var status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);
        Assert.True(await Polling.UntilAsync(async () => (status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None)).Healthy, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200), CancellationToken.None), status.Verdict);
    }

    [Fact]
    public async Task A_frozen_leader_is_replaced_and_every_acknowledged_write_lost_is_listed_with_split_brain_counted()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await CreateAsync(root);
        var options = new FailoverOptions { Mode = FailoverMode.Failover, Fault = NodeFault.FreezeNode, FaultDuration = TimeSpan.FromSeconds(15), Rejoin = true, WriteProbe = new ProbeOptions { Rate = 50 } };

        var result = await DrillAsync(sandbox, options);

        // Patroni may keep the leader it elected, or the thawed old leader may take its key back: either way the result
        // says which, and every acknowledged write the final leader does not have is listed.
        Assert.Equal(await ProbeRows.MissingAsync(sandbox, result), result.LostSequences);
        Assert.Contains(result.Timeline, e => e.Name == "Patroni elected a leader");
        Assert.Contains(result.Timeline, e => e.Name == "node thawed");
        Assert.Contains(result.Figures, f => f.Name == "writes acknowledged by another node after the leader (split brain)");
        Assert.True(result.State.Contains("node0 rejoined as a streaming replica", StringComparison.Ordinal) || result.State.StartsWith("node0 is the leader again", StringComparison.Ordinal), result.State);
        // A process that exited since it was listed (a backend) is not a stopped one.
        static bool Stopped(int pid)
        {
            try { return File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].StartsWith('T'); }
            catch (IOException) { return false; }
        }
        Assert.DoesNotContain(sandbox.NodeProcesses("node0"), Stopped);
    }

    [Fact]
    public async Task A_paused_patroni_does_not_fail_over_and_the_drill_fails_with_its_state_and_leaves_the_node_thawed()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await CreateAsync(root, members: 2);
        await new PatroniApi(sandbox.PatroniNodes[1].RestUrl).SetPausedAsync(true, CancellationToken.None);
        var options = new FailoverOptions { Mode = FailoverMode.Failover, Fault = NodeFault.FreezeNode, FaultDuration = TimeSpan.FromSeconds(60), PhaseTimeout = TimeSpan.FromSeconds(15) };
        var recovery = Recovery.For(sandbox.Target, sandbox, RecoveredBy.Patroni, null, null, null);
        var plan = await recovery.PlanAsync(options, CancellationToken.None);
        Assert.Contains("NOTE: Patroni is paused (maintenance mode): it will not fail over", plan.Steps);

        var error = await Assert.ThrowsAsync<DrToolsException>(() => recovery.RunAsync(plan, options, CancellationToken.None));

        Assert.True(error.Message.StartsWith("Failover drill (Patroni recovering) failed: Patroni did not recover the cluster within 15s: Patroni elected no leader.", StringComparison.Ordinal), error.Message);
        Assert.Contains("PAUSED (no automatic failover)", error.Message);
        Assert.Contains("node thawed", error.Message);
        // What Patroni itself did, from its logs: the replica saw the leader gone and, paused, took no action.
        Assert.Matches(@"Patroni's logs since the fault: .*node1: .*PAUSE: ", error.Message);
        // A process that exited since it was listed (a backend) is not a stopped one.
        static bool Stopped(int pid)
        {
            try { return File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].StartsWith('T'); }
            catch (IOException) { return false; }
        }
        Assert.DoesNotContain(sandbox.NodeProcesses("node0"), Stopped);
        await new PatroniApi(sandbox.PatroniNodes[1].RestUrl).SetPausedAsync(false, CancellationToken.None);
    }

    [Fact]
    public void Patroni_recovery_is_refused_where_it_cannot_work_and_drtools_never_promotes_behind_patroni()
    {
        var streaming = new Postgres.DbTarget("db", [Postgres.DbMember.Parse("Host=127.0.0.1;Port=5432", 1)], true);
        Assert.StartsWith("recovered by Patroni: db is neither a Patroni sandbox", Assert.Throws<DrToolsException>(() => Recovery.For(streaming, null, RecoveredBy.Patroni, null, null, null)).Message);
        var managed = streaming with { HaManager = PatroniManager.Parse(["http://127.0.0.1:8008"]) };
        Assert.Equal(RecoveredBy.Patroni, Recovery.For(managed, null, null, null, null, null).RecoveredBy);
        Assert.StartsWith("recovered by Patroni: Patroni stops and rewinds its nodes itself", Assert.Throws<DrToolsException>(() => Recovery.For(managed, null, null, null, null, "pg_ctl stop")).Message);
    }

    [Fact]
    public async Task A_fault_command_is_the_fault_on_a_patroni_sandbox_and_a_node_it_took_down_is_started_again()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await CreateAsync(root, members: 2);
        // A user's node loss: the leader's Patroni and postmaster, found by the port DrTools gives the command. Patroni by the
        // whole path of its configuration: "services/node0/patroni.yml" alone also killed another suite's sandbox's node0 (cc59).
        var command = $$"""for f in {{sandbox.Directory}}/node*/postmaster.pid; do if [ "$(sed -n 4p $f)" = "$DRTOOLS_MEMBER_PORT" ]; then n=$(basename $(dirname $f)); pkill -KILL -f "{{sandbox.Directory}}/services/$n/patroni.yml"; kill -KILL $(head -1 $f); fi; done""";
        var options = new FailoverOptions { Mode = FailoverMode.Failover, Rejoin = true, WriteProbe = new ProbeOptions { Rate = 50 } };
        var recovery = Recovery.For(sandbox.Target, sandbox, null, null, command, null);

        var plan = await recovery.PlanAsync(options, CancellationToken.None);
        Assert.Equal($"Failover by Patroni: the fault command '{command}' on the leader node0, Patroni elects the new leader", plan.Action);
        var result = await recovery.RunAsync(plan, options, CancellationToken.None);

        Assert.Equal($"the fault command '{command}' for node0", result.Fault);
        Assert.Contains(result.Timeline, e => e.Name == "fault completed" && e.Detail == $"fault command '{command}' for node0 (127.0.0.1:{sandbox.Members[0].Port})");
        Assert.StartsWith("node1 ", result.NewPrimary);
        Assert.Equal(await ProbeRows.MissingAsync(sandbox, result), result.LostSequences);
        Assert.Contains(result.Timeline, e => e.Name == "node restarted" && e.Detail == "Patroni started again on node0");
        Assert.Contains("node0 rejoined as a streaming replica", result.State);
    }

    [Fact]
    public async Task A_patroni_cluster_given_by_its_rest_api_is_switched_over_by_patroni_and_node_faults_there_are_refused()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await CreateAsync(root, members: 2);
        var nodes = sandbox.Members.Select(m => sandbox.ConnectionString(m)).ToList();
        var endpoints = sandbox.Members.Select(m => $"127.0.0.1:{m.Port}").ToList();
        // One REST API is enough: Patroni lists the others.
        var patroni = PatroniManager.Parse([sandbox.PatroniNodes[1].RestUrl.ToString()]);
        var target = Postgres.DbTarget.FromConnectionStrings(nodes, allowDrillOn: endpoints) with { HaManager = patroni };
        var options = new FailoverOptions { Mode = FailoverMode.Switchover, RpoTarget = TimeSpan.Zero, WriteProbe = new ProbeOptions { Rate = 50, ConnectionString = sandbox.ApplicationConnectionString } };
        var recovery = Recovery.For(target, null, null, null, null, null);

        var plan = await recovery.PlanAsync(options, CancellationToken.None);
        Assert.Equal(["node0", "node1"], plan.Target.Members.Select(m => m.Name));
        Assert.Equal("Switchover by Patroni: node0 hands over to node1", plan.Action);
        var result = await recovery.RunAsync(plan, options, CancellationToken.None);

        Assert.Equal("Patroni", result.RecoveredBy);
        Assert.StartsWith("node1 ", result.NewPrimary);
        Assert.Equal(0, result.LostWrites.Measured);
        Assert.Contains($"through Host=127.0.0.1:{sandbox.Patroni!.WritePort};", result.WriteUnavailability.Method);
        Assert.DoesNotContain(result.Figures, f => f.Name == "HAProxy switch time");
        Assert.Contains(result.Timeline, e => e.Name == "old primary rejoined as a standby" && e.Detail == "node0 streams from node1");

        var failover = options with { Mode = FailoverMode.Failover };
        var noProcesses = await Assert.ThrowsAsync<DrToolsException>(() => recovery.PlanAsync(failover, CancellationToken.None));
        Assert.Equal($"KillNode on node1 of {target.Name}: DrTools reaches the processes of a Patroni sandbox's nodes only; give the fault as a command (-FaultCommand / --fault-command).", noProcesses.Message);
        var notAllowed = Postgres.DbTarget.FromConnectionStrings(nodes) with { HaManager = patroni };
        Assert.Contains("is not allowed for drills", (await Assert.ThrowsAsync<DrToolsException>(() => Recovery.For(notAllowed, null, null, null, "true", null).PlanAsync(failover, CancellationToken.None))).Message);
        var partial = Postgres.DbTarget.FromConnectionStrings([nodes[0]], allowDrillOn: endpoints) with { HaManager = patroni };
        Assert.StartsWith($"Patroni's member node1 ({endpoints[1]}) is not among the members given ({endpoints[0]})", (await Assert.ThrowsAsync<DrToolsException>(() => Recovery.For(partial, null, null, null, "true", null).PlanAsync(failover, CancellationToken.None))).Message);
        var status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);
        Assert.True(status.Healthy, status.Verdict);
        Assert.Equal("node1", status.Primary!.Name);
    }

    [Fact]
    public async Task An_ha_manager_drtools_does_not_know_is_watched_through_the_endpoint_with_patroni_standing_in()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await CreateAsync(root, members: 2);
        var endpoint = $"127.0.0.1:{sandbox.Patroni!.WritePort}";
        var target = Postgres.DbTarget.FromConnectionStrings([sandbox.ApplicationConnectionString!], allowDrillOn: [endpoint]);
        // The user's own switchover command, as `aws rds failover-db-cluster` would be: here Patroni's REST API.
        var script = Path.Combine(root.Path, "switchover.py");
        File.WriteAllText(script, $$"""
            import json, urllib.request
            body = json.dumps({"leader": "node0", "candidate": "node1"}).encode()
            urllib.request.urlopen(urllib.request.Request("{{sandbox.PatroniNodes[0].RestUrl}}switchover", data=body, method="POST"), timeout=30)
            """);
        var options = new FailoverOptions { Mode = FailoverMode.Switchover, RpoTarget = TimeSpan.Zero, WriteProbe = new ProbeOptions { Rate = 50 } };
        var recovery = Recovery.For(target, null, RecoveredBy.External, null, $"python3 {script}", null);

        var plan = await recovery.PlanAsync(options, CancellationToken.None);
        Assert.Equal($"Switchover by an HA manager DrTools does not know: run the command 'python3 {script}', then watch the writer through {endpoint}", plan.Action);
        var result = await recovery.RunAsync(plan, options, CancellationToken.None);

        Assert.Equal("External", result.RecoveredBy);
        Assert.Equal($"127.0.0.1:{sandbox.Members[0].Port}", result.OldPrimary);
        Assert.Equal($"127.0.0.1:{sandbox.Members[1].Port}", result.NewPrimary);
        Assert.Equal(0, result.LostWrites.Measured);
        Assert.Equal(await ProbeRows.MissingAsync(sandbox, result with { NewPrimary = "node1 " }), result.LostSequences);
        Assert.Contains(result.Timeline, e => e.Name == "new writer seen" && e.Detail == $"{result.NewPrimary} (was {result.OldPrimary})");
        Assert.Equal(Figure(result, "new writer seen"), result.Timeline.Single(e => e.Name == "new writer seen").At.TotalSeconds - result.Timeline.Single(e => e.Name == "primary stop requested").At.TotalSeconds, 3);
        Assert.StartsWith($"the writer through {endpoint} is {result.NewPrimary}, was {result.OldPrimary}", result.State);

        var refused = Assert.Throws<DrToolsException>(() => Recovery.For(target, null, RecoveredBy.External, null, null, null));
        Assert.StartsWith("recovered by External: give the one action that fails the writer over or switches it", refused.Message);
    }
}
