using System.Diagnostics;
using DrTools.Core.Faults;
using DrTools.Core.Postgres;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;
using Npgsql;

namespace DrTools.Core.Tests;

/// <summary>Faults on real PostgreSQL processes with real nftables rules: each shows its effect, and after its undo nothing of it is left.</summary>
[Collection("Faults")]
public sealed class FaultTests(FaultSandbox fixture) : IClassFixture<FaultSandbox>
{
    private Sandbox Sandbox => fixture.Sandbox;

    private Task<FaultRequest> RequestAsync(FaultKind kind, string member, params string[] parameters) =>
        FaultTargets.ResolveAsync(kind, Sandbox.Target, Sandbox, member, FaultTargets.ParseParameters(parameters), null, CancellationToken.None);

    private async Task<FaultRecord> StartAsync(FaultKind kind, string member, params string[] parameters) =>
        await Faults.Faults.StartAsync(await RequestAsync(kind, member, parameters), null, CancellationToken.None);

    /// <summary>The nftables tables this test process made (other test processes may be making their own meanwhile).</summary>
    private static async Task<IReadOnlyList<string>> TablesAsync() =>
        (await NftTables.ListAsync()).Where(l => l.EndsWith(MadeHere, StringComparison.Ordinal)).ToList();

    /// <summary>How a table this test process makes ends: its pid and when it started.</summary>
    private static string MadeHere => $"_p{Environment.ProcessId}_s{ProcessTable.StartTicks(Environment.ProcessId)}";

    /// <summary>The cgroup labels of this sandbox's members.</summary>
    private string Cgroups => string.Join(",", Sandbox.Members.Select(m => $"/sys/fs/cgroup/unified/drtools/member-{m.Port}").Where(Directory.Exists));

    private async Task<Lsn> ReceivedAsync(string standby) => Lsn.Parse(await Sql.ScalarAsync<string>(Sandbox, standby, "select pg_last_wal_receive_lsn()::text"));

    private async Task<Lsn> WrittenAsync()
    {
        await Sql.ExecuteAsync(Sandbox, "node0", "insert into fault_marks default values");
        return Lsn.Parse(await Sql.ScalarAsync<string>(Sandbox, "node0", "select pg_current_wal_lsn()::text"));
    }

    private async Task<bool> CaughtUpAsync(string standby, Lsn written) =>
        await Polling.UntilAsync(async () => await ReceivedAsync(standby) >= written, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100), CancellationToken.None);

    /// <summary>Whether a fresh connection can run a query within two seconds.</summary>
    private async Task<bool> AnswersAsync(string member)
    {
        var builder = new NpgsqlConnectionStringBuilder(Sandbox.ConnectionString(Sandbox.Members.Single(m => m.Name == member))) { Timeout = 2, CommandTimeout = 2, Pooling = false };
        try
        {
            await Sql.ScalarOnAsync<int>(builder.ConnectionString, "select 1").WaitAsync(TimeSpan.FromSeconds(5));
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return false;
        }
    }

    private async Task AssertNoTraceAsync()
    {
        Assert.Empty(Faults.Faults.List());
        Assert.Empty(await TablesAsync());
        Assert.Equal("", Cgroups);
        foreach (var member in Sandbox.Members)
        {
            Assert.DoesNotContain(ProcessTable.FindByWorkingDirectory(member.DataDirectory), pid => File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].StartsWith('T'));
        }
    }

    [Fact]
    public async Task A_standby_partitioned_from_the_primary_stops_receiving_over_its_open_connection_and_catches_up_after_the_undo()
    {
        var before = await WrittenAsync();
        Assert.True(await CaughtUpAsync("node1", before));

        var fault = await StartAsync(FaultKind.Partition, "node1", "from=node0");
        var written = await WrittenAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));

        // The primary writes on; node1 receives nothing over the connection it had; node2 and clients of node1 are untouched.
        Assert.True(await ReceivedAsync("node1") < written);
        Assert.True(await CaughtUpAsync("node2", written));
        Assert.True(await AnswersAsync("node1"));
        Assert.Equal($"Partition of node1 (127.0.0.1:{Sandbox.Members[1].Port}) from node0 (127.0.0.1:{Sandbox.Members[0].Port}), both directions, open connections included", fault.Description);
        Assert.Single(await TablesAsync());

        var end = await Faults.Faults.StopAsync(fault.Id, CancellationToken.None);

        Assert.True(end.Undone, end.Undo);
        Assert.StartsWith($"nftables table inet drtools_partition_{Sandbox.Members[1].Port}_", end.Undo);
        Assert.True(await CaughtUpAsync("node1", written));
        await AssertNoTraceAsync();
    }

    [Fact]
    public async Task A_member_partitioned_from_everyone_answers_no_client_even_on_an_open_connection()
    {
        await using var open = await Sandbox.Target.Member("node2").OpenAsync(CancellationToken.None);
        var fault = await StartAsync(FaultKind.Partition, "node2");

        Assert.False(await AnswersAsync("node2"));
        await using (var query = new NpgsqlCommand("select 1", open) { CommandTimeout = 2 })
        {
            await Assert.ThrowsAnyAsync<Exception>(() => query.ExecuteScalarAsync());
        }
        Assert.True(await AnswersAsync("node1"));

        Assert.True((await Faults.Faults.StopAsync(fault.Id, CancellationToken.None)).Undone);
        Assert.True(await AnswersAsync("node2"));
        await AssertNoTraceAsync();
    }

    [Fact]
    public async Task Packet_loss_slows_every_round_trip_and_its_undo_restores_the_pace()
    {
        // One connection opened before the fault: the loss applies to open connections too.
        await using var connection = await Sandbox.Target.Member("node2").OpenAsync(CancellationToken.None);
        async Task<TimeSpan> RoundTripsAsync(int count)
        {
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < count; i++)
            {
                await using var query = new NpgsqlCommand("select 1", connection) { CommandTimeout = 120 };
                await query.ExecuteScalarAsync();
            }
            return watch.Elapsed;
        }
        var before = await RoundTripsAsync(10);
        var fault = await StartAsync(FaultKind.PacketLoss, "node2", "percent=30");
        Assert.StartsWith($"PacketLoss of 30% of node2 (127.0.0.1:{Sandbox.Members[2].Port})'s packets with everyone", fault.Description);

        // Each lost packet costs a TCP retransmission (200 ms at least), so round trips go on until they have cost 0.5 s
        // more than the same number did before. Losses are random: a fixed count with heavier loss can meet a run of
        // losses whose doubling retransmission timeout outlasts any command timeout.
        var lossyCount = 0;
        var lossy = TimeSpan.Zero;
        while (lossyCount < 100 && lossy <= before * lossyCount / 10 + TimeSpan.FromSeconds(0.5))
        {
            lossy += await RoundTripsAsync(1);
            lossyCount++;
        }
        Assert.True(
            lossy > before * lossyCount / 10 + TimeSpan.FromSeconds(0.5),
            $"{lossyCount} round trips took {lossy} with loss, 10 took {before} before");

        Assert.True((await Faults.Faults.StopAsync(fault.Id, CancellationToken.None)).Undone);
        Assert.True(await RoundTripsAsync(lossyCount) < lossy);
        await AssertNoTraceAsync();
    }

    [Fact]
    public async Task A_frozen_member_hangs_until_the_undo_thaws_every_process()
    {
        var fault = await StartAsync(FaultKind.Freeze, "node2");

        Assert.False(await AnswersAsync("node2"));
        Assert.Contains(ProcessTable.FindByWorkingDirectory(Sandbox.Members[2].DataDirectory), pid => File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].StartsWith('T'));

        var end = await Faults.Faults.StopAsync(fault.Id, CancellationToken.None);
        Assert.Matches(@"^SIGCONT of \d+ process\(es\)$", end.Undo);
        Assert.True(await AnswersAsync("node2"));
        await AssertNoTraceAsync();
    }

    [Fact]
    public async Task A_delayed_standby_replays_late_and_the_undo_restores_its_setting()
    {
        var fault = await StartAsync(FaultKind.ReplicationDelay, "node1", "delay=1h");
        await Sql.ExecuteAsync(Sandbox, "node0", "insert into fault_marks default values");
        var last = await Sql.ScalarAsync<int>(Sandbox, "node0", "select max(id) from fault_marks");

        Assert.True(await Polling.UntilAsync(async () => await Sql.ScalarAsync<int>(Sandbox, "node2", "select coalesce(max(id), 0) from fault_marks") == last, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100), CancellationToken.None));
        Assert.NotEqual(last, await Sql.ScalarAsync<int>(Sandbox, "node1", "select coalesce(max(id), 0) from fault_marks"));

        Assert.Equal("recovery_min_apply_delay reset", (await Faults.Faults.StopAsync(fault.Id, CancellationToken.None)).Undo);
        Assert.True(await Polling.UntilAsync(async () => await Sql.ScalarAsync<int>(Sandbox, "node1", "select coalesce(max(id), 0) from fault_marks") == last, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100), CancellationToken.None));
        Assert.Equal("0", await Sql.ScalarAsync<string>(Sandbox, "node1", "show recovery_min_apply_delay"));
        await AssertNoTraceAsync();
    }

    [Fact]
    public async Task A_killed_member_is_down_until_the_undo_starts_it_again()
    {
        var fault = await StartAsync(FaultKind.Kill, "node2");
        Assert.False(Sandbox.Server("node2").IsRunning);

        var end = await Faults.Faults.StopAsync(fault.Id, CancellationToken.None);
        Assert.StartsWith("started again (postmaster PID ", end.Undo);
        Assert.True(await AnswersAsync("node2"));
        Assert.True(await CaughtUpAsync("node2", await WrittenAsync()));
        await AssertNoTraceAsync();
    }

    [Fact]
    public async Task A_command_fault_runs_the_users_start_and_undo_with_the_member_named()
    {
        var marker = Path.Combine(fixture.Root.Path, "command-fault");
        var fault = await StartAsync(FaultKind.Command, "node1", $"start=echo $DRTOOLS_MEMBER_PORT > {marker}", $"undo=rm {marker}");
        Assert.Equal($"{Sandbox.Members[1].Port}\n", File.ReadAllText(marker));

        await Faults.Faults.StopAsync(fault.Id, CancellationToken.None);
        Assert.False(File.Exists(marker));
        await AssertNoTraceAsync();
    }

    [Fact]
    public async Task Exhausted_connections_refuse_the_next_client_until_the_undo_releases_them()
    {
        var fault = await StartAsync(FaultKind.ConnectionExhaustion, "node2", "leave=0");
        Assert.StartsWith($"ConnectionExhaustion of node2 (127.0.0.1:{Sandbox.Members[2].Port}): every connection slot taken by idle sessions held by process {Environment.ProcessId}", fault.Description);

        var refused = await Assert.ThrowsAnyAsync<DrToolsException>(() => Sql.ScalarAsync<int>(Sandbox, "node2", "select 1"));
        Assert.Equal("53300", Assert.IsType<PostgresException>(refused.InnerException).SqlState);
        Assert.True(await AnswersAsync("node1"));

        var end = await Faults.Faults.StopAsync(fault.Id, CancellationToken.None);
        Assert.Matches(@"^\d+ idle session\(s\) closed$", end.Undo);
        Assert.True(await AnswersAsync("node2"));
        await AssertNoTraceAsync();
    }

    [Fact]
    public async Task Two_faults_on_different_members_do_not_undo_each_other()
    {
        var first = await StartAsync(FaultKind.Partition, "node1");
        var second = await StartAsync(FaultKind.Partition, "node2");
        Assert.Equal(2, (await TablesAsync()).Count);

        await Faults.Faults.StopAsync(first.Id, CancellationToken.None);
        Assert.True(await AnswersAsync("node1"));
        Assert.False(await AnswersAsync("node2"));
        Assert.Single(await TablesAsync());

        await Faults.Faults.StopAsync(second.Id, CancellationToken.None);
        Assert.True(await AnswersAsync("node2"));
        await AssertNoTraceAsync();
    }

    [Fact]
    public async Task A_fault_held_for_a_step_is_undone_when_the_step_throws_or_is_cancelled()
    {
        var request = await RequestAsync(FaultKind.Partition, "node2");
        await Assert.ThrowsAsync<InvalidOperationException>(() => Faults.Faults.WithFaultAsync<int>(request, null, (_, _) => throw new InvalidOperationException("the step failed"), CancellationToken.None));
        await AssertNoTraceAsync();

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Faults.Faults.WithFaultAsync(request, TimeSpan.FromSeconds(30), async (_, token) => { await Task.Delay(TimeSpan.FromSeconds(30), token); return 0; }, cancel.Token));
        await AssertNoTraceAsync();
        Assert.True(await AnswersAsync("node2"));
    }

    [Fact]
    public async Task Stop_all_keeps_a_fault_a_running_process_holds_and_undoes_it_once_that_process_is_gone()
    {
        var marker = Path.Combine(fixture.Root.Path, "undone-by-stop-all");
        using var holder = Process.Start("sleep", "60")!;
        // A Command fault as another process (a drill in progress) would have recorded it.
        var held = new FaultRecord("command-1-abcdef", FaultKind.Command, "node1", "held elsewhere", DateTimeOffset.UtcNow, holder.Id)
        {
            State = new Dictionary<string, string> { ["start"] = "true", ["undo"] = $"touch {marker}", ["host"] = "127.0.0.1", ["port"] = "1" },
        };
        FaultRegistry.Save(held);

        Assert.DoesNotContain(await Faults.Faults.StopAllAsync(CancellationToken.None), e => e.Id == held.Id);
        Assert.False(File.Exists(marker));
        Assert.Single(Faults.Faults.List());

        holder.Kill();
        await holder.WaitForExitAsync();
        Assert.Contains(await Faults.Faults.StopAllAsync(CancellationToken.None), e => e.Id == held.Id && e.Undone);
        Assert.True(File.Exists(marker));
        await AssertNoTraceAsync();
    }

    [Fact]
    public async Task Stop_all_undoes_what_a_killed_run_left_and_deletes_a_table_whose_maker_is_gone()
    {
        await StartAsync(FaultKind.Freeze, "node1");
        using var dead = Process.Start("true")!;
        await dead.WaitForExitAsync();
        var stray = $"drtools_partition_1_abcdef_p{dead.Id}_s{ProcessTable.StartTicks(Environment.ProcessId)}";
        // A process that had this test's pid before it (pids are reused): this test process did not make the table.
        var reused = $"drtools_partition_1_bcdefa_p{Environment.ProcessId}_s{ProcessTable.StartTicks(Environment.ProcessId) - 1}";
        var live = $"drtools_partition_1_cdefab{MadeHere}";
        foreach (var table in new[] { stray, reused, live })
        {
            using var nft = Process.Start("nft", ["add", "table", "inet", table])!;
            await nft.WaitForExitAsync();
        }

        IReadOnlyList<FaultEnd> ended;
        try
        {
            ended = await Faults.Faults.StopAllAsync(CancellationToken.None);
            Assert.Contains(await NftTables.ListAsync(), l => l.Contains(live, StringComparison.Ordinal));
        }
        finally
        {
            using var nft = Process.Start("nft", ["delete", "table", "inet", live])!;
            await nft.WaitForExitAsync();
        }

        Assert.All(ended, e => Assert.True(e.Undone, e.Undo));
        Assert.Contains(ended, e => e.Kind == FaultKind.Freeze);
        // Deleted by this stop-all (or by another test process's, which sweeps the machine too).
        Assert.DoesNotContain(await NftTables.ListAsync(), l => l.Contains(stray, StringComparison.Ordinal)
            || l.Contains(reused, StringComparison.Ordinal));
        Assert.True(await AnswersAsync("node1"));
        await AssertNoTraceAsync();
    }

    [Fact]
    public async Task Stop_all_removes_a_cgroup_label_a_killed_run_left_and_keeps_one_a_live_rule_uses()
    {
        // Labels as a partition makes them (drtools/member-PORT): one its killed maker left with no table, one a table uses.
        var labels = Path.GetDirectoryName(MemberCgroup.For(1).Directory)!;
        var left = Path.Combine(labels, "member-1");
        var used = Path.Combine(labels, "member-2");
        Directory.CreateDirectory(left);
        Directory.CreateDirectory(used);
        var young = Path.Combine(labels, "member-3");
        Directory.CreateDirectory(young);
        // Made a minute ago, as a killed run's labels are; a label made a moment ago may be a fault being applied.
        Directory.SetLastWriteTimeUtc(left, DateTime.UtcNow.AddMinutes(-1));
        Directory.SetLastWriteTimeUtc(used, DateTime.UtcNow.AddMinutes(-1));
        var table = $"drtools_partition_2_abcdef{MadeHere}";
        var rule = $"table inet {table} {{\n chain output {{\n type filter hook output priority -5; policy accept;\n"
            + $"{MemberCgroup.For(2).Selector} meta l4proto tcp counter\n }}\n}}\n";
        using (var nft = Process.Start(new ProcessStartInfo("nft", ["-f", "-"]) { RedirectStandardInput = true })!)
        {
            await nft.StandardInput.WriteAsync(rule);
            nft.StandardInput.Close();
            await nft.WaitForExitAsync();
            Assert.True(nft.ExitCode == 0, rule);
        }
        try
        {
            var ended = await Faults.Faults.StopAllAsync(CancellationToken.None);

            Assert.Contains(ended, e => e.Undone && e.Undo == $"cgroup label {left} removed");
            Assert.False(Directory.Exists(left));
            Assert.True(Directory.Exists(used), "a label a live table uses was removed");
            Assert.True(Directory.Exists(young), "a label made a moment ago was removed");
        }
        finally
        {
            Directory.Delete(young);
            using (var nft = Process.Start("nft", ["delete", "table", "inet", table])!) await nft.WaitForExitAsync();
            Directory.Delete(used);
        }
        await AssertNoTraceAsync();
    }

    [Fact]
    public async Task Runbook_faults_are_bands_on_the_timeline_and_one_no_step_stopped_is_undone_when_the_run_ends()
    {
        using var root = new TemporaryRoot();
        using var history = new TemporaryRoot();
        const string yaml = """
            name: Fault drill
            targets:
              db: { sandbox: { standbys: 1 } }
            steps:
              - { name: Freeze standby, run: Start-DrFault, with: { target: db, member: node1, kind: Freeze, duration: 1s } }
              - { name: Delay standby, run: Start-DrFault, with: { target: db, member: node1, kind: ReplicationDelay, parameter: [delay=1h] }, save: delay }
              - { name: Undo delay, run: Stop-DrFault, with: { id: "${delay.Id}" } }
              - { name: Cut standby, run: Start-DrFault, with: { target: db, member: node1, kind: Partition, parameter: [from=node0] } }
            """;

        var journal = await Runbooks.RunbookExecutor.RunAsync(Runbooks.RunbookParser.Parse(yaml, "faults.yml"), new Runbooks.RunbookRunOptions { SandboxRoot = root.Path, HistoryRoot = history.Path }, CancellationToken.None);

        Assert.True(journal.Status == Runbooks.RunStatus.Passed, string.Join("; ", journal.Steps.Select(s => $"{s.Name}: {s.Status} {s.Message}").Concat(journal.Issues)));
        var freeze = journal.Steps[0].Marks.Single();
        Assert.Equal(Runbooks.MarkKind.FaultActive, freeze.Kind);
        Assert.InRange((freeze.Until!.Value - freeze.At).TotalSeconds, 0.99, 10); // a timer may fire a few microseconds early
        Assert.InRange(freeze.At, journal.Steps[0].StartedAt!.Value, journal.Steps[0].StartedAt!.Value + journal.Steps[0].Duration!.Value);
        Assert.Equal(Runbooks.MarkKind.Fault, journal.Steps[1].Marks.Single().Kind);
        Assert.Equal(Runbooks.MarkKind.FaultActive, journal.Steps[2].Marks.Single().Kind);
        Assert.Contains(journal.CleanupActions, r => r.StartsWith("undid fault partition-", StringComparison.Ordinal) && r.Contains("which the run started and no step stopped: nftables table inet drtools_partition_", StringComparison.Ordinal));
        Assert.Contains("class=\"fault-active\"", Runbooks.Reports.Report.Render(journal, Runbooks.Reports.ReportFormat.Html));
        Assert.Empty(Faults.Faults.List());
        Assert.Empty(await TablesAsync());
        root.AssertNothingLeft();
    }

    [Fact]
    public async Task A_held_fault_is_undone_when_its_step_times_out_and_when_an_abort_condition_trips()
    {
        using var root = new TemporaryRoot();
        using var history = new TemporaryRoot();
        using var health = new HealthEndpoint();
        var observer = new StepObserver(step => { if (step.Name == "Freeze for long") health.Healthy = false; });
        string Yaml(string extra) => $$"""
            name: Interrupted fault
            targets:
              db: { sandbox: { standbys: 1 } }
            {{extra}}
            steps:
              - { name: Freeze for long, run: Start-DrFault, with: { target: db, member: node1, kind: Freeze, duration: 2m }, timeout: 1s }
            """;

        var timedOut = await Runbooks.RunbookExecutor.RunAsync(Runbooks.RunbookParser.Parse(Yaml(""), "timeout.yml"), new Runbooks.RunbookRunOptions { SandboxRoot = root.Path, HistoryRoot = history.Path }, CancellationToken.None);
        var aborted = await Runbooks.RunbookExecutor.RunAsync(Runbooks.RunbookParser.Parse(Yaml($"abortConditions:\n  - {{ name: Application health, http: \"{health.Url}\", interval: 100ms }}"), "abort.yml"),
            new Runbooks.RunbookRunOptions { SandboxRoot = root.Path, HistoryRoot = history.Path, Observer = observer }, CancellationToken.None);

        Assert.Equal(Runbooks.StepStatus.TimedOut, timedOut.Steps[0].Status);
        Assert.True(timedOut.Steps[0].Duration < TimeSpan.FromSeconds(30));
        Assert.Equal(Runbooks.RunStatus.Aborted, aborted.Status);
        Assert.True(aborted.Steps[0].Duration < TimeSpan.FromSeconds(30));
        Assert.Empty(Faults.Faults.List());
        root.AssertNothingLeft();
    }

    private static async Task<Failover.FailoverResult> DrillAsync(Sandbox sandbox, FaultKind kind, bool rejoin, params string[] parameters)
    {
        var options = Failover.DrillFaults.With(new Failover.FailoverOptions { Mode = Failover.FailoverMode.Failover, Rejoin = rejoin, WriteProbe = new Probes.ProbeOptions { Rate = 50 } },
            kind.ToString(), FaultTargets.ParseParameters(parameters));
        var recovery = Failover.Recovery.For(sandbox.Target, sandbox, null, null, null, null);
        return await recovery.RunAsync(await recovery.PlanAsync(options, CancellationToken.None), options, CancellationToken.None);
    }

    [Fact]
    public async Task A_commit_a_frozen_backend_held_is_never_acknowledged_once_the_old_primary_is_fenced_and_thawed()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        await Sql.ScalarAsync<int>(sandbox, "node0", "create table held (id int); select 1");
        await using var client = new NpgsqlConnection(sandbox.ConnectionString(sandbox.Members[0]));
        await client.OpenAsync();
        await using var transaction = await client.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand("insert into held values (1)", client, transaction)) await insert.ExecuteNonQueryAsync();
        Task? commit = null;
        // Once the primary is frozen, the client commits: its backend holds the commit, frozen.
        var progress = new OnPhase("the choice of the standby to promote", () => commit = transaction.CommitAsync());
        var options = Failover.DrillFaults.With(
            new Failover.FailoverOptions { Mode = Failover.FailoverMode.Failover, Rejoin = true, Progress = progress }, "Freeze", null);
        var recovery = Failover.Recovery.For(sandbox.Target, sandbox, null, null, null, null);

        var result = await recovery.RunAsync(await recovery.PlanAsync(options, CancellationToken.None), options, CancellationToken.None);

        // Before every process of the old primary was killed (only its postmaster was), the thawed backend acknowledged
        // this commit after the standby's promotion: a write the new primary never had.
        Assert.NotNull(commit);
        await Assert.ThrowsAnyAsync<Exception>(() => commit!);
        Assert.StartsWith("node1 ", result.NewPrimary);
        Assert.Equal(0, await Sql.ScalarAsync<long>(sandbox, "node1", "select count(*) from held"));
    }

    /// <summary>Runs an action when the drill enters a phase.</summary>
    private sealed class OnPhase(string phase, Action action) : IProgress<OperationProgress>
    {
        public void Report(OperationProgress value)
        {
            if (value.Phase == phase) action();
        }
    }

    [Fact]
    public async Task A_primary_partitioned_from_everyone_is_failed_over_and_fenced_before_the_partition_is_lifted()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);

        var result = await DrillAsync(sandbox, FaultKind.Partition, rejoin: false);

        Assert.StartsWith("node1 ", result.NewPrimary);
        Assert.Contains(result.Timeline, e => e.Name == "fault completed" && e.Detail!.StartsWith($"Partition of node0 (127.0.0.1:{sandbox.Members[0].Port}) from everyone", StringComparison.Ordinal));
        Assert.Equal(await ProbeRows.MissingAsync(sandbox, result), result.LostSequences);
        // A primary that vanished without closing its connections: decided from what DrTools sees, not after wal_receiver_timeout.
        Assert.InRange(result.WriteUnavailability.Measured, 0.001, 10);
        Assert.False(sandbox.Server("node0").IsRunning);
        Assert.Empty(Faults.Faults.List());
        Assert.Empty(await TablesAsync());
        Assert.Equal("", string.Join(",", sandbox.Members.Select(m => $"/sys/fs/cgroup/unified/drtools/member-{m.Port}").Where(Directory.Exists)));
    }

    [Fact]
    public async Task A_frozen_primary_is_failed_over_and_rejoins_as_a_standby_once_fenced_and_thawed()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);

        var result = await DrillAsync(sandbox, FaultKind.Freeze, rejoin: true);

        Assert.StartsWith("node1 ", result.NewPrimary);
        Assert.Contains(result.Timeline, e => e.Name == "fault completed" && e.Detail!.StartsWith("Freeze of node0", StringComparison.Ordinal));
        Assert.Contains(result.Timeline, e => e.Name == "old primary rejoined as a standby");
        Assert.Equal(await ProbeRows.MissingAsync(sandbox, result), result.LostSequences);
        var status = await Cluster.ClusterInspector.GetStatusAsync(sandbox.Target, CancellationToken.None);
        Assert.True(status.Healthy, status.Verdict);
        Assert.Equal("node1", status.Primary!.Name);
        Assert.Empty(Faults.Faults.List());
        Assert.DoesNotContain(ProcessTable.FindByWorkingDirectory(sandbox.Members[0].DataDirectory), ProcessTable.IsStopped); // a process that exits meanwhile is not stopped either
    }

    [Theory]
    [InlineData(FaultKind.PacketLoss, "node1", "percnt=30", "PacketLoss takes no parameter 'percnt' (it takes percent: ")]
    [InlineData(FaultKind.PacketLoss, "node1", "percent=150", "PacketLoss percent '150': a whole number from 1 to 100.")]
    [InlineData(FaultKind.Partition, "node9", "", "'node9' is not a member of sandbox ")]
    [InlineData(FaultKind.Partition, "node1", "from=node1", "Partition of node1 (127.0.0.1:")]
    [InlineData(FaultKind.Command, "node1", "start=true", "Command fault: give both commands, start and undo (missing undo).")]
    [InlineData(FaultKind.ReplicationDelay, "node0", "delay=5s", "ReplicationDelay of node0 (127.0.0.1:")]
    public async Task Bad_requests_are_refused_in_one_line_and_change_nothing(FaultKind kind, string member, string parameter, string message)
    {
        var error = await Assert.ThrowsAsync<DrToolsException>(async () => await StartAsync(kind, member, parameter.Length == 0 ? [] : [parameter]));
        Assert.StartsWith(message, error.Message.Replace(Sandbox.Id, ""));
        Assert.DoesNotContain('\n', error.Message);
        await AssertNoTraceAsync();
    }

    [Fact]
    public async Task Members_that_are_not_allowed_for_drills_or_where_nothing_listens_are_refused()
    {
        var free = LoopbackPort.Free();
        var notAllowed = DbTarget.FromConnectionStrings([$"Host=127.0.0.1;Port={Sandbox.Members[1].Port}"]);
        Assert.Contains("is not allowed for drills", (await Assert.ThrowsAsync<DrToolsException>(() => FaultTargets.ResolveAsync(FaultKind.Partition, notAllowed, null, null, new Dictionary<string, string>(), null, CancellationToken.None))).Message);

        var silent = DbTarget.FromConnectionStrings([$"Host=127.0.0.1;Port={free}"], allowDrillOn: [$"127.0.0.1:{free}"]);
        var request = await FaultTargets.ResolveAsync(FaultKind.Partition, silent, null, $"127.0.0.1:{free}", new Dictionary<string, string>(), null, CancellationToken.None);
        var error = await Assert.ThrowsAsync<DrToolsException>(() => Faults.Faults.StartAsync(request, null, CancellationToken.None));
        Assert.Equal($"Partition of 127.0.0.1:{free}: nothing listens on port {free} (127.0.0.1:{free}) on this machine; nothing was changed.", error.Message);

        // A documentation address (TEST-NET-1): another machine, whose traffic a rule here must never touch.
        var remote = DbTarget.FromConnectionStrings(["Host=192.0.2.1;Port=5432"], allowDrillOn: ["192.0.2.1:5432"]);
        var elsewhere = await FaultTargets.ResolveAsync(FaultKind.PacketLoss, remote, null, "192.0.2.1:5432", new Dictionary<string, string>(), null, CancellationToken.None);
        Assert.Equal("PacketLoss of 192.0.2.1:5432: 192.0.2.1:5432 is not on this machine; network faults act on this machine's traffic only. Nothing was changed.",
            (await Assert.ThrowsAsync<DrToolsException>(() => Faults.Faults.StartAsync(elsewhere, null, CancellationToken.None))).Message);
        await AssertNoTraceAsync();
    }
}
