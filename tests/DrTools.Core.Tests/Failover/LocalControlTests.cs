using DrTools.Core.Cluster;
using DrTools.Core.Failover;
using DrTools.Core.Postgres;
using DrTools.Core.Probes;
using DrTools.Core.Sandboxes;
using Npgsql;

namespace DrTools.Core.Tests;

public sealed class LocalControlTests
{
    [Fact]
    public async Task Given_data_directories_a_cluster_outside_a_sandbox_switches_over_fails_over_and_rejoins_keeping_its_own_configuration()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 2, Root = root.Path }, CancellationToken.None);
        // The same servers, seen as any cluster: connection strings, explicit permission, data directories.
        var target = DbTarget.FromConnectionStrings(sandbox.Members.Select(sandbox.ConnectionString).ToList(), allowDrillOn: sandbox.Members.Select(m => $"127.0.0.1:{m.Port}").ToList());
        var control = MemberControls.For(null, sandbox.Members.Select(m => $"127.0.0.1:{m.Port}={m.DataDirectory}").ToList(), null, null);
        Assert.IsType<LocalControl>(control);

        foreach (var options in new[] { new FailoverOptions { Mode = FailoverMode.Switchover }, new FailoverOptions { Mode = FailoverMode.Failover, Rejoin = true } })
        {
            var plan = await FailoverDrill.PlanAsync(target, control, options, CancellationToken.None);
            var result = await FailoverDrill.RunAsync(plan, control, options, CancellationToken.None);
            Assert.True(result.TopologyAfter.Healthy, $"{options.Mode}: {result.TopologyAfter.Verdict}");
            Assert.Contains("rejoined as a standby", result.State);
        }
        // Each server kept its own port through pg_rewind, which copies the source's configuration files.
        foreach (var member in sandbox.Members)
        {
            // ALTER SYSTEM (re-pointing) rewrites the file with quoted values.
            Assert.Matches($"(?m)^port = '?{member.Port}'?$", await File.ReadAllTextAsync(Path.Combine(member.DataDirectory, "postgresql.auto.conf")));
        }
    }

    [Fact]
    public async Task Synchronous_replication_survives_switchovers_by_connection_strings_and_blocked_commits_make_the_cluster_unhealthy()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Synchronous = true, Root = root.Path }, CancellationToken.None);
        var target = DbTarget.FromConnectionStrings(sandbox.Members.Select(sandbox.ConnectionString).ToList(), allowDrillOn: sandbox.Members.Select(m => $"127.0.0.1:{m.Port}").ToList());
        var control = MemberControls.For(null, sandbox.Members.Select(m => $"127.0.0.1:{m.Port}={m.DataDirectory}").ToList(), null, null);
        var options = new FailoverOptions { Mode = FailoverMode.Switchover };

        foreach (var (newPrimary, standby) in new[] { ("node1", "node0"), ("node0", "node1") })
        {
            var result = await FailoverDrill.RunAsync(await FailoverDrill.PlanAsync(target, control, options, CancellationToken.None), control, options, CancellationToken.None);
            Assert.True(result.TopologyAfter.Healthy, result.TopologyAfter.Verdict);
            Assert.Equal($"127.0.0.1:{sandbox.Members.Single(m => m.Name == newPrimary).Port}", result.TopologyAfter.Primary!.Name);
            // The standby streams under the name the setting knows, confirming commits; a commit returns promptly.
            Assert.Equal($"ANY 1 ({standby})", await Sql.ScalarAsync<string>(sandbox, newPrimary, "show synchronous_standby_names"));
            Assert.Equal(standby, await Sql.ScalarAsync<string>(sandbox, newPrimary, "select application_name from pg_stat_replication where sync_state = 'quorum'"));
            await Sql.ExecuteAsync(sandbox, newPrimary, $"create table after_switchover_to_{newPrimary} (id int)").WaitAsync(TimeSpan.FromSeconds(10));
        }

        // With the only standby gone, every commit on the primary would wait forever: the cluster is not healthy.
        await sandbox.Server("node1").StopAsync(ShutdownMode.Fast, CancellationToken.None);
        var status = await ClusterInspector.GetStatusAsync(target, CancellationToken.None);
        Assert.False(status.Healthy);
        Assert.Contains($"primary 127.0.0.1:{sandbox.Members[0].Port} waits for 1 synchronous standby(s) (synchronous_standby_names = 'ANY 1 (node1)') but 0 can confirm commits: every commit blocks until one can", status.Verdict);
    }

    [Fact]
    public async Task A_fault_command_that_fails_leaves_the_primary_up_and_says_so_and_a_caching_probe_string_is_named()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var target = DbTarget.FromConnectionStrings(sandbox.Members.Select(sandbox.ConnectionString).ToList(), allowDrillOn: sandbox.Members.Select(m => $"127.0.0.1:{m.Port}").ToList());
        var control = MemberControls.For(null, null, "echo no such host >&2; exit 3", null);
        var failover = new FailoverOptions { Mode = FailoverMode.Failover };

        var error = await Assert.ThrowsAsync<DrToolsException>(async () => await FailoverDrill.RunAsync(await FailoverDrill.PlanAsync(target, control, failover, CancellationToken.None), control, failover, CancellationToken.None));
        Assert.Contains($"The old primary 127.0.0.1:{sandbox.Members[0].Port} was not stopped: it still accepts writes. Cluster now: healthy", error.Message);
        Assert.DoesNotContain("cannot restart", error.Message);

        // The application's own multi-host string with Npgsql's default Host Recheck Seconds: measured as given, and said so.
        var probe = $"Host=127.0.0.1:{sandbox.Members[0].Port},127.0.0.1:{sandbox.Members[1].Port};Username=drtools;Password={new NpgsqlConnectionStringBuilder(sandbox.ConnectionString(sandbox.Members[0])).Password};Database=postgres;Target Session Attributes=read-write";
        var switchover = new FailoverOptions { WriteProbe = new ProbeOptions { ConnectionString = probe } };
        var sandboxControl = new SandboxControl(sandbox);
        var result = await FailoverDrill.RunAsync(await FailoverDrill.PlanAsync(sandbox.Target, sandboxControl, switchover, CancellationToken.None), sandboxControl, switchover, CancellationToken.None);
        Assert.Contains("NOTE: the connection string's Host Recheck Seconds=10 lets Npgsql keep a host's old role cached for up to 10 s", result.WriteUnavailability.Method);
        Assert.DoesNotContain("NOTE", result.ReadReconnection.Method);
    }

    [Fact]
    public async Task A_fault_command_on_a_sandbox_is_the_fault_injected_and_the_sandbox_still_rejoins_the_old_primary()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var marker = Path.Combine(root.Path, "fault-ran");
        var command = $"touch '{marker}' && kill -KILL $(head -1 '{Path.Combine(sandbox.Members[0].DataDirectory, "postmaster.pid")}')";
        var control = MemberControls.For(sandbox, null, command, null);
        var options = new FailoverOptions { Mode = FailoverMode.Failover, Rejoin = true };

        var plan = await FailoverDrill.PlanAsync(sandbox.Target, control, options, CancellationToken.None);
        Assert.Contains($"inject the fault: the fault command '{command}' for node0 (127.0.0.1:{sandbox.Members[0].Port})", plan.Steps);
        var result = await FailoverDrill.RunAsync(plan, control, options, CancellationToken.None);

        Assert.True(File.Exists(marker));
        Assert.Equal($"fault command '{command}' for node0 (127.0.0.1:{sandbox.Members[0].Port})", result.Timeline.Single(e => e.Name == "fault completed").Detail);
        // No user table in this sandbox: nothing to compare is said, and is neither the drill's pass nor its failure.
        Assert.Equal("not checked: nothing in scope", result.IntegrityResult);
        Assert.False(result.Integrity!.Failed);
        Assert.True(result.Met, string.Join("; ", result.Figures.Select(f => $"{f.Name} {f}")));
        Assert.Contains(result.Timeline, e => e.Name == "old primary rejoined as a standby");
        Assert.True(result.TopologyAfter.Healthy, result.TopologyAfter.Verdict);
    }

    [Fact]
    public async Task A_vanished_primary_whose_wal_sender_never_closed_is_failed_over_within_the_settle_time_with_its_lost_writes_exact()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var walSender = await Sql.ScalarAsync<int>(sandbox, "node0", "select pid from pg_stat_replication");
        var postmaster = File.ReadLines(Path.Combine(sandbox.Members[0].DataDirectory, "postmaster.pid")).First();
        // The standby's connection stays open with nothing on it, as when a host vanishes: its WAL receiver would
        // notice only after wal_receiver_timeout (60 s). Writes acknowledged meanwhile never reach it.
        var control = MemberControls.For(sandbox, null, $"kill -STOP {walSender} && sleep 0.3 && kill -KILL {postmaster}", null);
        var options = new FailoverOptions { Mode = FailoverMode.Failover, CheckIntegrity = false, PhaseTimeout = TimeSpan.FromSeconds(20), WriteProbe = new ProbeOptions { Rate = 25 } };

        var result = await FailoverDrill.RunAsync(await FailoverDrill.PlanAsync(sandbox.Target, control, options, CancellationToken.None), control, options, CancellationToken.None);

        var fault = result.Timeline.Single(e => e.Name == "fault issued").At;
        var promoted = result.Timeline.Single(e => e.Name == "promotion finished").At;
        Assert.True(promoted - fault < TimeSpan.FromSeconds(2), $"promoted {promoted - fault} after the fault");
        Assert.EndsWith("decided because node0 (127.0.0.1:" + sandbox.Members[0].Port + ") was unreachable and the received WAL position had not moved for 500ms)", result.Timeline.Single(e => e.Name == "standby chosen").Detail);

        var present = new HashSet<long>();
        await using (var connection = await sandbox.Target.Member("node1").OpenAsync(CancellationToken.None))
        await using (var query = new NpgsqlCommand($"select seq from {Probe.Table} where run_id = @run", connection))
        {
            query.Parameters.AddWithValue("run", result.RunId);
            await using var reader = await query.ExecuteReaderAsync();
            while (await reader.ReadAsync()) present.Add(reader.GetInt64(0));
        }
        var missing = result.WriteSamples.Where(s => s.Acknowledged is not null && !present.Contains(s.Sequence)).Select(s => s.Sequence).Order().ToList();
        Assert.NotEmpty(missing);
        Assert.Equal(missing, result.LostSequences);
        Assert.Equal(missing.Count, (int)result.LostWrites.Measured);
    }

    [Fact]
    public async Task A_frozen_primary_is_found_unreachable_within_its_answer_timeout_and_failed_over_within_the_settle_time()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var postmaster = File.ReadLines(Path.Combine(sandbox.Members[0].DataDirectory, "postmaster.pid")).First();
        // Every process of node0 stopped: connections are accepted by the kernel and never answered (Npgsql's own
        // Timeout, 10 s for a member, would hold an open that long).
        // The postmaster first (no new backend after it), then its children; a backend that exits meanwhile (the probe's
        // churning client closes one every attempt) is no longer there to stop.
        var freeze = $"kill -STOP {postmaster} && for child in $(pgrep -P {postmaster}); do kill -STOP $child 2>/dev/null; done; true";
        var control = MemberControls.For(sandbox, null, freeze, null);
        var options = new FailoverOptions { Mode = FailoverMode.Failover, CheckIntegrity = false, PhaseTimeout = TimeSpan.FromSeconds(30) };
        try
        {
            var plan = await FailoverDrill.PlanAsync(sandbox.Target, control, options, CancellationToken.None);
            var result = await FailoverDrill.RunAsync(plan, control, options, CancellationToken.None);

            var fault = result.Timeline.Single(e => e.Name == "fault issued").At;
            var promoted = result.Timeline.Single(e => e.Name == "promotion finished").At;
            // Well before Npgsql's own 10 s timeout, which an open to the frozen member would have waited out (CI, loaded, took
            // 3.4 s: the answer timeout, the 500 ms the received WAL must hold still, and a promotion).
            Assert.True(promoted - fault < TimeSpan.FromSeconds(8), $"promoted {promoted - fault} after the fault");
            Assert.Contains("was unreachable and the received WAL position had not moved for 500ms",
                result.Timeline.Single(e => e.Name == "standby chosen").Detail);
            // The drill observed until the topology settled: the event says until when, and what held it, if anything, from
            // when to when. The frozen member's role was read as "no answer" at every poll, never judged from a poll sent
            // before the freeze (Npgsql held such a poll 20 s on the frozen server, and the settling with it).
            var settled = result.Timeline.Single(e => e.Name == "topology settled");
            var stated = System.Text.RegularExpressions.Regex.Match(settled.Detail!, @"settled at \+([\d.]+) s, [\d.]+ s after the wait "
                + @"began at \+([\d.]+) s; (nothing held it|held longest, from \+([\d.]+) s to \+([\d.]+) s, by: (.+))$");
            Assert.True(stated.Success, settled.Detail);
            double At(int group) => double.Parse(stated.Groups[group].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(Math.Round(settled.At.TotalSeconds, 3), At(1));
            if (stated.Groups[4].Success)
            {
                Assert.True(At(2) <= At(4) && At(4) <= At(5) && At(5) <= At(1), settled.Detail);
                // The frozen member, or the new primary the clients had yet to reach: named by its address.
                Assert.Contains(sandbox.Members, m => stated.Groups[6].Value.Contains($"127.0.0.1:{m.Port}", StringComparison.Ordinal));
            }
            Assert.DoesNotContain("had not completed", settled.Detail);
            // The journal's timeline carries it.
            Assert.Contains(Runbooks.StepOutcomes.FailoverMarks(result, TimeSpan.Zero),
                m => m.Name == "topology settled" && m.Detail == settled.Detail);
            // After the probes, the topology is read once: the frozen member's connect timeout is the time it takes, and
            // the timeline says so (it was read twice, each waiting out that timeout, and nothing said why).
            var read = result.Timeline.Single(e => e.Name == "topology read");
            Assert.Contains($"node0 (127.0.0.1:{sandbox.Members[0].Port}): unreachable", read.Detail);
            Assert.True(read.At > result.Timeline.Single(e => e.Name == "probes stopped").At);
        }
        finally
        {
            var thaw = new Processes.CommandSpec("thaw node0", "sh", ["-c", $"kill -CONT {postmaster} $(pgrep -P {postmaster})"])
            {
                RequireSuccess = false,
            };
            await Processes.CommandRunner.RunAsync(thaw, CancellationToken.None);
        }
    }

    [Theory]
    [InlineData("nodir")]
    [InlineData("node0=/nonexistent/dir")]
    public void Bad_data_directories_are_named(string pair)
    {
        var error = Assert.Throws<DrToolsException>(() => LocalControl.ParseDataDirectories([pair]));
        Assert.StartsWith("data directory '", error.Message);
        Assert.Equal(DrErrorKind.InvalidArgument, error.Kind);
    }

    [Fact]
    public void Conninfo_keywords_are_replaced_keeping_the_others()
    {
        Assert.Equal("user=dr passfile='/a b/.pgpass' host=db2 port=6432",
            ConnInfo.Set(ConnInfo.Set("host=db1 port=5432 user=dr passfile='/a b/.pgpass'", "host", "db2"), "port", "6432"));
        Assert.Equal("a b'c", ConnInfo.Get("host=x application_name='a b''c'", "application_name"));
        Assert.Null(ConnInfo.Get("host=x", "application_name"));
    }
}
