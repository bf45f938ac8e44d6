using DrTools.Core.Failover;
using DrTools.Core.Monitoring;
using DrTools.Core.Probes;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

/// <summary>A monitoring sandbox (primary node0, standby node1) with real postgres_exporter, Prometheus and Alertmanager.</summary>
public sealed class MonitoredSandbox() : FaultSandboxFixture(new SandboxOptions { Standbys = 1, Monitoring = true });

/// <summary>Alerts fired by a real Prometheus, delivered by a real Alertmanager to DrTools' receiver, measured by drills.</summary>
[Collection("Faults")]
public sealed class MonitoringTests(MonitoredSandbox fixture) : IClassFixture<MonitoredSandbox>
{
    private Sandbox Sandbox => fixture.Sandbox;

    private static async Task<FailoverResult> DrillAsync(Sandbox sandbox, FailoverOptions options)
    {
        var recovery = Recovery.For(sandbox.Target, sandbox, null, null, null, null);
        return await recovery.RunAsync(await recovery.PlanAsync(options, CancellationToken.None), options, CancellationToken.None);
    }

    [Fact]
    public async Task A_killed_primary_pages_within_the_target_and_the_alert_resolves_after_the_rejoin()
    {
        var primary = (await Cluster.ClusterInspector.GetStatusAsync(Sandbox.Target, CancellationToken.None)).Primary!.Name;
        var expect = AlertExpectation.From("InstanceDown", Sandbox, null, null, new Dictionary<string, string> { ["member"] = primary }, TimeSpan.FromSeconds(30))!;

        var result = await DrillAsync(Sandbox, new FailoverOptions { Mode = FailoverMode.Failover, Rejoin = true, CheckIntegrity = false, ExpectAlert = expect, WriteProbe = new ProbeOptions { Rate = 50 } });

        var figures = result.AlertFigures.ToDictionary(f => f.Name);
        var inAlertmanager = figures["time to alert (InstanceDown, Alertmanager)"];
        var notified = figures["time to alert (InstanceDown, notification)"];
        Assert.True(inAlertmanager.Met == true && notified.Met == true, $"{inAlertmanager}; {notified}");
        // The rule waits 2 s, Prometheus scrapes and evaluates every second: no alert can come sooner.
        Assert.InRange(notified.Measured, 2, 30);
        Assert.DoesNotContain("NOT", figures["time to resolve (InstanceDown)"].Method);
        Assert.True(result.Met);
        var names = result.Timeline.Select(e => e.Name).ToList();
        Assert.True(names.IndexOf("alert InstanceDown firing in Alertmanager") < names.IndexOf("rejoin started"), string.Join(", ", names));
        Assert.Contains("alert InstanceDown notification received", names);
        Assert.Contains("alert InstanceDown resolved in Alertmanager", names);
        Assert.Equal("until InstanceDown fired", result.Timeline.Single(e => e.Name == "rejoin held").Detail);

        // What DrTools' receiver holds is what Alertmanager delivered: the firing and the resolution, with their labels. The
        // resolution is sent after Alertmanager marked the alert resolved (which ended the drill's wait), not with it.
        List<DeliveredAlert> Delivered() => new AlertInbox(Sandbox.Monitoring!.Inbox).Read().SelectMany(n => n.Alerts)
            .Where(a => a.Name == "InstanceDown" && a.Labels["member"] == primary).ToList();
        await Polling.RequireAsync(() => Task.FromResult(Delivered().Any(a => a.Status == "resolved")), TimeSpan.FromSeconds(30),
            TimeSpan.FromMilliseconds(100), () => "Alertmanager never delivered the resolution", CancellationToken.None);
        var delivered = Delivered();
        Assert.Contains(delivered, a => a.Status == "firing" && a.Labels["severity"] == "critical");
        Assert.Contains(delivered, a => a.Status == "resolved" && a.EndsAt is not null);
    }

    [Fact]
    public async Task An_alert_that_cannot_fire_fails_within_its_time_naming_the_rule_and_the_last_value_Prometheus_saw()
    {
        var sources = AlertSources.Of(Sandbox);

        var lag = await AlertWatch.WaitAsync(sources, new AlertWaitOptions("ReplicationLagHigh") { Within = TimeSpan.FromSeconds(2) }, CancellationToken.None);
        var missing = await AlertWatch.WaitAsync(sources, new AlertWaitOptions("DiskOnFire") { Within = TimeSpan.FromSeconds(1) }, CancellationToken.None);

        Assert.False(lag.Met);
        Assert.InRange(lag.InAlertmanager.Measured, 2, 10);
        Assert.StartsWith("rule 'ReplicationLagHigh' (drtools_replication_lag_bytes > 1.6777216e+07, for 10s) is inactive in Prometheus; drtools_replication_lag_bytes is 0 for {", lag.Reason);
        Assert.False(missing.Met);
        Assert.Equal("Prometheus has no alerting rule 'DiskOnFire' (rules: InstanceDown, NoPrimary, ReplicationLagHigh, WalArchivingFailing, BackupTooOld)", missing.Reason);
    }

    [Fact]
    public async Task The_sandbox_Prometheus_scrapes_DrTools_metrics_and_every_exporter()
    {
        var monitoring = Sandbox.Monitoring!;

        var healthy = await DrTools.Core.Monitoring.Prometheus.QueryAsync(monitoring.Prometheus, "drtools_cluster_healthy", CancellationToken.None);
        var exporters = await DrTools.Core.Monitoring.Prometheus.QueryAsync(monitoring.Prometheus, "pg_up", CancellationToken.None);

        Assert.Equal("1", Assert.Single(healthy).Value);
        Assert.Equal(Sandbox.Members.Select(m => m.Name).Order(), exporters.Select(e => e.Labels["member"]).Order());
        Assert.All(exporters, e => Assert.Equal("1", e.Value));
    }
}

/// <summary>Alert sources that cannot be reached or are not there: one clear line, and a drill still reports its own figures.</summary>
public sealed class UnreachableAlertingTests
{
    [Fact]
    public async Task An_unreachable_Alertmanager_is_one_clear_error_and_a_drill_still_reports_its_own_figures()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var dead = $"http://127.0.0.1:{LoopbackPort.Free()}";
        var sources = AlertSources.Resolve(null, dead, dead);

        var refused = await Assert.ThrowsAsync<DrToolsException>(() => AlertWatch.WaitAsync(sources, new AlertWaitOptions("InstanceDown"), CancellationToken.None));
        Assert.StartsWith($"Alertmanager at {dead}/ does not answer: ", refused.Message);
        Assert.Contains("has no monitoring: create it with New-DrSandbox -Monitoring", Assert.Throws<DrToolsException>(() => AlertSources.Of(sandbox)).Message);

        var expect = AlertExpectation.From("InstanceDown", null, dead, dead, new Dictionary<string, string>(), TimeSpan.FromSeconds(5))!;
        var recovery = Recovery.For(sandbox.Target, sandbox, null, null, null, null);
        var options = new FailoverOptions { Mode = FailoverMode.Failover, CheckIntegrity = false, ExpectAlert = expect };
        var result = await recovery.RunAsync(await recovery.PlanAsync(options, CancellationToken.None), options, CancellationToken.None);

        Assert.True(result.WriteUnavailability.Measured > 0, result.WriteUnavailability.ToString());
        Assert.Equal(result.AcknowledgedWrites > 0, result.TopologyAfter.Healthy || result.TopologyAfter.Primary is not null);
        var alert = Assert.Single(result.AlertFigures);
        Assert.Contains("does not answer", alert.Method);
        Assert.False(result.Met);
    }
}
