using DrTools.Core.Cluster;
using DrTools.Core.Failover;
using DrTools.Core.Postgres;
using DrTools.Core.Probes;
using DrTools.Core.Sandboxes;
using Npgsql;

namespace DrTools.Core.Tests;

public sealed class FailoverTests
{
    internal static async Task<FailoverResult> DrillAsync(Sandbox sandbox, FailoverOptions options, IMemberControl? control = null)
    {
        control ??= new SandboxControl(sandbox);
        var plan = await FailoverDrill.PlanAsync(sandbox.Target, control, options, CancellationToken.None);
        return await FailoverDrill.RunAsync(plan, control, options, CancellationToken.None);
    }

    /// <summary>
    /// A rejoin rewrote the old primary's postgresql.auto.conf whole: the archive_command `backup archive` set there by
    /// ALTER SYSTEM was gone, and once primary again the member archived nothing into the repository.
    /// </summary>
    [Fact]
    public async Task Every_member_keeps_what_ALTER_SYSTEM_set_on_it_through_a_switchover_the_archive_command_among_them()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 2, Root = root.Path }, CancellationToken.None);
        var repository = Backups.BackupRepository.Open(Path.Combine(root.Path, "repository"), create: true);
        await Backups.DbBackups.ConfigureArchivingAsync(sandbox.Target, repository, CancellationToken.None);
        string[] members = ["node0", "node1", "node2"];
        foreach (var member in members) await Sql.ExecuteAsync(sandbox, member, "alter system set work_mem = '7MB'; select pg_reload_conf()");

        var result = await DrillAsync(sandbox, new FailoverOptions { Mode = FailoverMode.Switchover, CheckIntegrity = false });
        Assert.True(result.TopologyAfter.Healthy, result.TopologyAfter.Verdict);
        foreach (var member in members)
        {
            Assert.Equal(repository.ArchiveCommand, await Sql.ScalarAsync<string>(sandbox, member, "show archive_command"));
            Assert.Equal("7MB", await Sql.ScalarAsync<string>(sandbox, member, "show work_mem"));
        }
    }

    [Fact]
    public async Task Switchover_under_pgbench_load_loses_no_acknowledged_write_and_leaves_a_healthy_cluster()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        await PgBench.InitializeAsync(sandbox);
        using var load = PgBench.StartLoad(sandbox, TimeSpan.FromSeconds(30));
        await Task.Delay(1000);

        var result = await DrillAsync(sandbox, new FailoverOptions { Mode = FailoverMode.Switchover, RtoTarget = TimeSpan.FromSeconds(30), RpoTarget = TimeSpan.Zero, WriteProbe = new ProbeOptions { Rate = 50 }, BaselineWrites = 21 });
        load.Kill();

        Assert.Equal(0, result.LostWrites.Measured);
        Assert.Empty(result.LostSequences);
        Assert.True(result.AcknowledgedWrites > 20); // the baseline held the stop for 21
        Assert.InRange(result.WriteUnavailability.Measured, 0.001, 10);
        Assert.True(result.WriteUnavailability.Met);
        Assert.StartsWith("node1", result.NewPrimary);
        Assert.Equal("PASS", result.IntegrityResult);
        Assert.Contains(result.Integrity!.Reference.Tables, t => t.Table == "public.pgbench_accounts" && t.Rows == 200_000);
        Assert.True(result.TopologyAfter.Healthy, result.TopologyAfter.Verdict);
        var oldPrimary = result.TopologyAfter.Members.Single(m => m.Name == "node0");
        Assert.Equal(MemberRole.Standby, oldPrimary.Role);
        Assert.Equal("streaming", oldPrimary.ReplicationState);
        Assert.Equal(2, oldPrimary.Timeline);
        Assert.True(result.Met);
        Assert.Equal(["probes started", "checkpoint before the stop", "primary stop requested", "primary stopped", "standby replayed all WAL", "promotion requested", "promotion finished", "rejoin started", "old primary rejoined as a standby", "topology settled", "probes stopped",
                "waiting for the replicas", "replicas waited for", "topology read"],
            result.Timeline.Select(e => e.Name).Where(n => !n.Contains("acknowledged") && !n.Contains("answered")));
        Assert.Equal(result.Timeline.OrderBy(e => e.At).Select(e => e.Name), result.Timeline.Select(e => e.Name));
    }

    [Fact]
    public async Task Asynchronous_failover_under_heavy_load_reports_exactly_the_acknowledged_writes_missing_on_the_new_primary()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        await PgBench.InitializeAsync(sandbox);
        for (var run = 1; run <= 3; run++)
        {
            var status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);
            using var load = PgBench.StartLoad(sandbox, TimeSpan.FromSeconds(30), clients: 8, member: status.Primary!.Name);
            await Task.Delay(700);

            var result = await DrillAsync(sandbox, new FailoverOptions { Mode = FailoverMode.Failover, Rejoin = true, CheckIntegrity = false, WriteProbe = new ProbeOptions { Rate = 50 } });
            load.Kill();

            // An independent count: every acknowledged sequence number the new primary does not have.
            var present = new HashSet<long>();
            await using (var connection = await sandbox.Target.Member(result.NewPrimary.Split(' ')[0]).OpenAsync(CancellationToken.None))
            await using (var query = new NpgsqlCommand($"select seq from {Probe.Table} where run_id = @run", connection))
            {
                query.Parameters.AddWithValue("run", result.RunId);
                await using var reader = await query.ExecuteReaderAsync();
                while (await reader.ReadAsync()) present.Add(reader.GetInt64(0));
            }
            var missing = result.WriteSamples.Where(s => s.Acknowledged is not null && !present.Contains(s.Sequence)).Select(s => s.Sequence).Order().ToList();
            Assert.Equal(missing, result.LostSequences);
            Assert.Equal(missing.Count, (int)result.LostWrites.Measured);
            Assert.Equal(result.WriteSamples.Count(s => s.Acknowledged is not null), result.AcknowledgedWrites);
            Assert.True(result.TopologyAfter.Healthy, $"run {run}: {result.TopologyAfter.Verdict}");
        }
    }

    [Fact]
    public async Task Synchronous_failover_loses_no_acknowledged_write()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Synchronous = true, Root = root.Path }, CancellationToken.None);
        await PgBench.InitializeAsync(sandbox);
        for (var run = 1; run <= 2; run++)
        {
            var status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);
            using var load = PgBench.StartLoad(sandbox, TimeSpan.FromSeconds(30), clients: 8, member: status.Primary!.Name);
            await Task.Delay(700);
            var result = await DrillAsync(sandbox, new FailoverOptions { Mode = FailoverMode.Failover, Rejoin = true, CheckIntegrity = false, RpoTarget = TimeSpan.Zero, WriteProbe = new ProbeOptions { Rate = 50 }, BaselineWrites = 51 });
            load.Kill();

            Assert.True(result.AcknowledgedWrites > 50); // the baseline held the fault for 51
            Assert.Equal(0, result.LostWrites.Measured);
            Assert.True(result.DataLossWindow.Met);
            Assert.True(result.TopologyAfter.Healthy, result.TopologyAfter.Verdict);
            // Synchronous again after the rejoin: the rejoined member confirms commits.
            Assert.Contains(result.TopologyAfter.Standbys.Single().SyncState, new[] { "sync", "quorum" });
        }
    }

    [Fact]
    public async Task Planning_changes_nothing_and_names_what_the_drill_would_do()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var plan = await FailoverDrill.PlanAsync(sandbox.Target, new SandboxControl(sandbox), new FailoverOptions { Mode = FailoverMode.Failover }, CancellationToken.None);

        Assert.Equal("Failover: fail primary node0, promote the most advanced standby", plan.Action);
        Assert.Contains(plan.Steps, s => s.StartsWith("inject the fault: SIGKILL of node0", StringComparison.Ordinal));
        var status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);
        Assert.True(status.Healthy);
        Assert.Equal("node0", status.Primary!.Name);
        Assert.Equal(1, status.Primary.Timeline);
        Assert.Equal(DBNull.Value, await Sql.ScalarAsync<object>(sandbox, "node0", $"select to_regclass('{Probe.Table}')::text"));
    }

    [Fact]
    public async Task A_cluster_not_allowed_for_drills_is_refused_and_naming_every_member_allows_a_failover_by_fault_command()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var connectionStrings = sandbox.Members.Select(sandbox.ConnectionString).ToList();
        var options = new FailoverOptions { Mode = FailoverMode.Failover, CheckIntegrity = false };
        var primaryPid = Path.Combine(sandbox.Members[0].DataDirectory, "postmaster.pid");
        var control = new CommandControl($"kill -9 $(head -1 '{primaryPid}')", null);

        var refused = await Assert.ThrowsAsync<DrToolsException>(() => FailoverDrill.PlanAsync(DbTarget.FromConnectionStrings(connectionStrings), control, options, CancellationToken.None));
        Assert.Equal(DrErrorKind.NotAllowed, refused.Kind);
        Assert.StartsWith($"failover refused: 127.0.0.1:{sandbox.Members[0].Port},127.0.0.1:{sandbox.Members[1].Port} is not allowed for drills.", refused.Message);
        var partly = DbTarget.FromConnectionStrings(connectionStrings, allowDrillOn: [$"127.0.0.1:{sandbox.Members[0].Port}"]);
        Assert.False(partly.AllowDrill);

        var allowed = DbTarget.FromConnectionStrings(connectionStrings, allowDrillOn: sandbox.Members.Select(m => $"localhost:{m.Port}").ToList());
        var plan = await FailoverDrill.PlanAsync(allowed, control, options, CancellationToken.None);
        var result = await FailoverDrill.RunAsync(plan, control, options, CancellationToken.None);

        Assert.Equal($"127.0.0.1:{sandbox.Members[1].Port}", result.NewPrimary);
        // No rejoin was requested: what the old primary held beyond the new primary's start is unknown, never 0.
        Assert.Equal($"127.0.0.1:{sandbox.Members[1].Port} is the primary; 127.0.0.1:{sandbox.Members[0].Port} was left down (not rejoined); "
            + $"{DiscardedTransactions.FigureName}: unknown (the old primary was not rejoined: its WAL beyond the new primary's start "
            + "was not read)",
            result.State);
        Assert.Contains(result.Timeline, e => e.Name == "fault completed" && e.Detail!.StartsWith("fault command", StringComparison.Ordinal));
        Assert.False(result.TopologyAfter.Healthy);
        Assert.Contains($"127.0.0.1:{sandbox.Members[0].Port}: unreachable", result.TopologyAfter.Verdict);
    }

    [Fact]
    public async Task A_stopped_candidate_is_refused_before_anything_changes()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 2, Root = root.Path }, CancellationToken.None);
        await sandbox.Server("node2").StopAsync(ShutdownMode.Fast, CancellationToken.None);

        var error = await Assert.ThrowsAsync<DrToolsException>(() => FailoverDrill.PlanAsync(sandbox.Target, new SandboxControl(sandbox), new FailoverOptions { Candidate = "node2" }, CancellationToken.None));

        Assert.Equal($"node2 (127.0.0.1:{sandbox.Members[2].Port}) cannot be promoted: it is unreachable: connection refused: nothing is listening on 127.0.0.1:{sandbox.Members[2].Port}. Nothing was changed.", error.Message);
        var status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);
        Assert.Equal("node0", status.Primary!.Name);
        Assert.Equal("streaming", status.Standbys.Single(s => s.Name == "node1").ReplicationState);
    }

    [Fact]
    public async Task An_old_primary_a_supervisor_restarts_beside_the_promoted_standby_never_lets_the_drill_settle_or_pass()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 2, Root = root.Path }, CancellationToken.None);
        var options = new FailoverOptions { Mode = FailoverMode.Failover, Candidate = "node1", PhaseTimeout = TimeSpan.FromSeconds(15) };

        // Before settling was observed, this drill reported its outage and PASSed while node0 accepted writes again as a
        // second primary; then it ended with an error. It is a FAIL with what the probes measured.
        var result = await DrillAsync(sandbox, options, new RestartedBySupervisor(sandbox));

        Assert.False(result.Met);
        var never = Assert.Single(result.SplitBrainFigures, f => f.Name == "time until the topology settled");
        Assert.Contains("the topology never settled within 15s", never.Method);
        Assert.Matches(@"127\.0\.0\.1:\d+ and 127\.0\.0\.1:\d+ all said they were the primary", never.Method);
        Assert.False(result.SplitBrainFigures[0].Met);
        var status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);
        Assert.Equal(2, status.Members.Count(m => m.Role == MemberRole.Primary));
    }

    [Fact]
    public async Task A_settled_drill_reports_split_brain_writes_against_the_final_primary()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);

        var result = await DrillAsync(sandbox, new FailoverOptions { Mode = FailoverMode.Failover, Rejoin = true });

        var settled = result.Timeline.Single(e => e.Name == "topology settled");
        Assert.StartsWith("node1 (127.0.0.1:", settled.Detail);
        Assert.True(settled.At > result.Timeline.Single(e => e.Name == "old primary rejoined as a standby").At);
        Assert.Equal(2, result.SplitBrainFigures.Count);
        var (window, writes) = (result.SplitBrainFigures[0], result.SplitBrainFigures[1]);
        Assert.Equal((0.0, true), (window.Measured, window.Met));
        Assert.Contains("pg_is_in_recovery) every 20ms from before the fault until the topology settled", window.Method);
        Assert.Equal((0.0, true), (writes.Measured, writes.Met));
        Assert.Contains($"other than the final primary 127.0.0.1:{sandbox.Members[1].Port}", writes.Method);
    }

    [Fact]
    public async Task An_old_primary_back_for_a_moment_after_the_promotion_and_gone_before_settling_fails_the_drill_naming_both()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 2, Root = root.Path }, CancellationToken.None);
        var options = new FailoverOptions { Mode = FailoverMode.Failover, Candidate = "node1" };

        // Found by an independent client: this drill PASSed with no split-brain figure while a writer lost every write
        // the returned old primary acknowledged.
        var result = await DrillAsync(sandbox, options, new RestartedBySupervisor(sandbox, killAgainAfter: TimeSpan.FromMilliseconds(500)));

        var split = result.SplitBrainFigures.First();
        Assert.Equal("split brain (two members said they were the primary)", split.Name);
        Assert.True(split.Measured >= 0.4, split.ToString());
        Assert.False(split.Met);
        Assert.False(result.Met);
        Assert.Matches($@"127\.0\.0\.1:{sandbox.Members[0].Port} and 127\.0\.0\.1:{sandbox.Members[1].Port} said they were the primary at once|"
            + $@"127\.0\.0\.1:{sandbox.Members[1].Port} and 127\.0\.0\.1:{sandbox.Members[0].Port} said they were the primary at once", split.Method);
        Assert.Contains(result.Timeline, e => e.Name == "two members said they were the primary");
    }

    /// <summary>
    /// Kills the primary as the sandbox does, then restarts it as a supervisor would once a standby was promoted (and,
    /// given <c>killAgainAfter</c>, kills it again that long after it accepted writes).
    /// </summary>
    private sealed class RestartedBySupervisor(Sandbox sandbox, TimeSpan? killAgainAfter = null) : ChangedSandboxControl(sandbox)
    {
        private DbMember? _killed;
        public override Task<string> InjectFaultAsync(DbMember primary, CancellationToken cancellationToken)
        {
            _killed = primary;
            return Inner.InjectFaultAsync(primary, cancellationToken);
        }
        public override async Task<bool> RepointStandbyAsync(DbMember standby, DbMember newPrimary, CancellationToken cancellationToken)
        {
            // Called once the promotion finished: the old primary comes back as it was, a primary.
            if (_killed is { } old && Interlocked.Exchange(ref _killed, null) is not null)
            {
                await Inner.RestartAsync(old, cancellationToken);
                if (killAgainAfter is { } after)
                {
                    await Polling.RequireAsync(async () => !await Sql.ScalarAsync<bool>(Sandbox, "node0", "select pg_is_in_recovery()"),
                        TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(20), () => "node0 never came back as a primary", cancellationToken);
                    await Task.Delay(after, cancellationToken);
                    await Inner.InjectFaultAsync(old, cancellationToken);
                }
            }
            return await Inner.RepointStandbyAsync(standby, newPrimary, cancellationToken);
        }
    }

    /// <summary>The fault also takes the only standby down, so nothing can be promoted mid-drill.</summary>
    private sealed class DoubleFault(Sandbox sandbox) : ChangedSandboxControl(sandbox)
    {
        public override async Task<string> InjectFaultAsync(DbMember primary, CancellationToken cancellationToken)
        {
            await Sandbox.Server("node1").StopPromptlyAsync(ShutdownMode.Immediate, TimeSpan.FromSeconds(30), cancellationToken);
            return await Inner.InjectFaultAsync(primary, cancellationToken);
        }
    }

    [Fact]
    public async Task A_drill_cancelled_once_promotion_was_asked_for_never_restarts_the_old_primary_into_a_split_brain()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var options = new FailoverOptions { Mode = FailoverMode.Failover, Progress = new Cancelling("the promotion", cancel) };
        var control = new SandboxControl(sandbox);
        var plan = await FailoverDrill.PlanAsync(sandbox.Target, control, options, CancellationToken.None);

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => FailoverDrill.RunAsync(plan, control, options, cancel.Token));

        // Whether the cancellation landed before or after pg_promote reached the standby, there is one primary, and the message says which.
        var status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);
        var primary = Assert.Single(status.Members, m => m.Role == MemberRole.Primary);
        Assert.Contains(primary.Name == "node1" ? "The old primary node0 (127.0.0.1:" : "The old primary node0", error.Message);
        Assert.Contains(primary.Name == "node1" ? "was left down: node1" : "was restarted", error.Message);
    }

    /// <summary>Cancels the drill a moment after it enters a phase, as Ctrl+C at the worst time would: here, while pg_promote is on its way.</summary>
    private sealed class Cancelling(string phase, CancellationTokenSource cancel) : IProgress<OperationProgress>
    {
        public void Report(OperationProgress value)
        {
            if (value.Phase == phase) cancel.CancelAfter(TimeSpan.FromMilliseconds(2));
        }
    }

    [Fact]
    public async Task A_drill_that_cannot_promote_restarts_the_old_primary_and_says_where_the_cluster_stands()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);

        var error = await Assert.ThrowsAsync<DrToolsException>(() => DrillAsync(sandbox, new FailoverOptions { Mode = FailoverMode.Failover, PhaseTimeout = TimeSpan.FromSeconds(5) }, new DoubleFault(sandbox)));

        Assert.StartsWith("Failover drill failed during the choice of the standby to promote: no standby could be reached to promote.", error.Message);
        Assert.True(error.Message.Contains($"The old primary node0 (127.0.0.1:{sandbox.Members[0].Port}) was restarted. Cluster now: unhealthy: node1", StringComparison.Ordinal), error.Message + "\n" + sandbox.Server("node0").LastLogLines(25).Replace(" | ", "\n"));
        var status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);
        Assert.Equal("node0", status.Primary!.Name);
        Assert.Equal(1, status.Primary.Timeline);
        await Sql.ExecuteAsync(sandbox, "node0", "create table written_after_the_failed_drill (id int)");
    }

    [Fact]
    public async Task Rejoin_fetches_from_the_archive_the_WAL_the_old_primary_already_recycled()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        // pg_rewind reads back from the last checkpoint before the timelines diverged: that checkpoint's segment.
        var needed = await Sql.ScalarAsync<string>(sandbox, "node0", "select pg_walfile_name(redo_lsn) from pg_control_checkpoint()");
        await Sql.ExecuteAsync(sandbox, "node1", "select pg_promote(wait => true)");
        // The old primary's slot for the promoted standby would pin the segment; without it (no slots, or
        // max_slot_wal_keep_size), recycling goes ahead.
        await Sql.ExecuteAsync(sandbox, "node0", "select pg_drop_replication_slot('node1')");
        // Nor does it keep segments for others (the sandbox keeps wal_keep_size for backups taken at once).
        await Sql.ExecuteAsync(sandbox, "node0", "alter system set wal_keep_size = 0; select pg_reload_conf()");
        // Split brain: the old primary writes on, switching segments and checkpointing until that segment is recycled.
        for (var i = 0; i < 8 && File.Exists(Path.Combine(sandbox.Members[0].DataDirectory, "pg_wal", needed)); i++)
        {
            await Sql.ExecuteAsync(sandbox, "node0", $"create table diverged_{i} as select generate_series(1, 10000) g; select pg_switch_wal(); checkpoint");
        }
        Assert.False(File.Exists(Path.Combine(sandbox.Members[0].DataDirectory, "pg_wal", needed)), $"{needed} was not recycled; the scenario did not happen");

        var target = sandbox.Target;
        Assert.True(await new SandboxControl(sandbox).RejoinAsync(target.Member("node0"), target.Member("node1"), "node0", CancellationToken.None));

        var status = await ClusterInspector.GetStatusAsync(target, CancellationToken.None);
        for (var i = 0; i < 200 && !status.Healthy; i++)
        {
            await Task.Delay(25);
            status = await ClusterInspector.GetStatusAsync(target, CancellationToken.None);
        }
        Assert.True(status.Healthy, status.Verdict);
        Assert.Equal("node1", status.Primary!.Name);
        Assert.Equal(DBNull.Value, await Sql.ScalarAsync<object>(sandbox, "node0", "select to_regclass('diverged_0')::text"));
    }

    [Fact]
    public async Task A_probe_write_in_flight_when_the_probes_stop_is_indeterminate_and_does_not_stretch_the_outage()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        const string probeWaitsOnCommit =
            "select count(*) from pg_stat_activity where application_name = 'drtools-write-probe' and wait_event = 'SyncRep'";
        var drill = System.Diagnostics.Stopwatch.StartNew();
        var drillSoFar = TimeSpan.Zero;
        long stallStarted = 0;
        Task? release = null;
        // Every client of the write probe stalls on its insert, the one opening a new connection for every write too.
        var clients = new ProbeOptions().Clients;
        var options = new FailoverOptions
        {
            Mode = FailoverMode.Switchover, CheckIntegrity = false,
            // The stalled inserts must not time out on their own: only the stop may end them.
            WriteProbe = new ProbeOptions { Rate = 50, AttemptTimeout = TimeSpan.FromMinutes(5) },
            BeforeProbesStop = async token =>
            {
                drillSoFar = drill.Elapsed;
                stallStarted = System.Diagnostics.Stopwatch.GetTimestamp();
                // Every commit on the new primary now waits for a synchronous standby that never comes; the stop cancels
                // the probe's wait, which PostgreSQL answers as committed.
                await Sql.ExecuteAsync(sandbox, "node1",
                    "alter system set synchronous_standby_names = 'never_a_standby'; select pg_reload_conf()");
                // Stalled longer than the whole drill so far: counted as a sample, it would be the longest gap of all.
                await Polling.RequireAsync(async () => await Sql.ScalarAsync<long>(sandbox, "node1",
                    $"{probeWaitsOnCommit} and now() - query_start > interval '{(long)drillSoFar.TotalMilliseconds} ms'") == clients,
                    TimeSpan.FromMinutes(2), TimeSpan.FromMilliseconds(20), () => "the probe's inserts never all waited on their commit",
                    token);
                release = Task.Run(async () =>
                {
                    await Polling.RequireAsync(async () => await Sql.ScalarAsync<long>(sandbox, "node1", probeWaitsOnCommit) == 0,
                        TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(20), () => "the stop did not end the probe's wait",
                        CancellationToken.None);
                    await Sql.ExecuteAsync(sandbox, "node1", "alter system reset synchronous_standby_names; select pg_reload_conf()");
                });
            },
        };
        var result = await DrillAsync(sandbox, options);
        await release!;

        Assert.True(result.WriteUnavailability.Measured < drillSoFar.TotalSeconds,
            $"{result.WriteUnavailability} (stall longer than {drillSoFar})");
        // One write in flight per client, its last, and none of them acknowledged at the stop.
        var stalled = result.WriteSamples.Where(s => s.Stopped).OrderBy(s => s.Client).ToList();
        Assert.Equal(Enumerable.Range(1, clients), stalled.Select(s => s.Client));
        Assert.All(stalled, s => Assert.Equal(result.WriteSamples.Where(w => w.Client == s.Client).Max(w => w.Sequence), s.Sequence));
        Assert.All(stalled, s => Assert.Null(s.Acknowledged));
        var firstAfter = Assert.Single(result.Timeline, e => e.Name == "first write acknowledged after the outage");
        Assert.True(firstAfter.At < System.Diagnostics.Stopwatch.GetElapsedTime(result.ClockOrigin, stallStarted));
        // Committed locally all the same: on the new primary, and neither lost nor counted as acknowledged.
        Assert.Equal(clients, await Sql.ScalarAsync<long>(sandbox, "node1",
            $"select count(*) from {Probe.Table} where run_id = '{result.RunId}' "
            + $"and seq in ({string.Join(", ", stalled.Select(s => s.Sequence))})"));
        Assert.Equal(0, result.LostWrites.Measured);
        Assert.Equal(result.WriteSamples.Count(s => s.Succeeded), result.AcknowledgedWrites);
    }

    [Fact]
    public async Task A_standby_forked_onto_its_own_timeline_is_never_promoted_and_a_choice_of_it_is_refused()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 2, Root = root.Path }, CancellationToken.None);
        await Sql.ExecuteAsync(sandbox, "node0", "create table accounts (id int primary key); insert into accounts values (1)");
        var written = await Sql.ScalarAsync<string>(sandbox, "node0", "select pg_current_wal_lsn()::text");
        await Polling.RequireAsync(
            async () => await Sql.ScalarAsync<bool>(sandbox, "node2", $"select pg_last_wal_replay_lsn() >= '{written}'"),
            TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50), () => "node2 never replayed the row", CancellationToken.None);
        // node2 promoted once and written to, then started again as a standby of node0: WAL node0 never had, on timeline 2.
        await Sql.ForkAsync(sandbox, "node2", "insert into accounts values (2)");
        await Sql.ExecuteAsync(sandbox, "node0", "insert into accounts select g from generate_series(3, 100) g");

        var status = await ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);
        var node2 = status.Members.Single(m => m.Name == "node2");
        Assert.StartsWith("ahead of the primary on another timeline: it is on timeline 2 at ", node2.Divergence);
        var options = new FailoverOptions { Mode = FailoverMode.Failover };
        var control = new SandboxControl(sandbox);
        var plan = await FailoverDrill.PlanAsync(sandbox.Target, control, options, CancellationToken.None);
        Assert.Contains($"never promote {node2.Display} nor re-point it: it is {node2.Divergence}", plan.Steps);
        var chosen = await Assert.ThrowsAsync<DrToolsException>(() =>
            FailoverDrill.PlanAsync(sandbox.Target, control, options with { Candidate = "node2" }, CancellationToken.None));
        Assert.Equal($"{node2.Display} cannot be promoted: it is {node2.Divergence}. Nothing was changed.", chosen.Message);

        var result = await FailoverDrill.RunAsync(plan, control, options, CancellationToken.None);
        Assert.Equal(sandbox.Target.Member("node1").Display, result.NewPrimary);
        Assert.Equal(99, await Sql.ScalarAsync<long>(sandbox, "node1", "select count(*) from accounts"));
        // Left as it was (re-pointed, it would stream the new primary's timeline 2 onto its own), named, and not waited for.
        var notFollowing = Assert.Single(result.ReplicasNotFollowing);
        Assert.StartsWith("node2 does not replicate from node1: ", notFollowing);
        Assert.EndsWith($"; it was {node2.Divergence} before the drill", notFollowing);
        var waitBegan = result.Timeline.Single(w => w.Name == "waiting for the replicas").At;
        Assert.Contains(result.Timeline, e => e.Name == "replicas waited for" && e.At - waitBegan < options.PhaseTimeout / 2);
        Assert.Equal(1, await Sql.ScalarAsync<long>(sandbox, "node2", "select count(*) from accounts where id = 2"));
    }
}
