using System.Text.Json;
using DrTools.Core.Sandboxes;
using DrTools.Core.Tests;

namespace DrTools.Cli.Tests;

public sealed class CliTests
{
    [Fact]
    public async Task Sandbox_up_list_status_lag_down_round_trip_never_prints_the_password()
    {
        using var root = new TemporaryRoot();
        // A password the caller's shell has for other servers (libpq took it over the sandbox's password file).
        var up = await Drtools.RunAsync(new Dictionary<string, string> { ["PGPASSWORD"] = "not-the-sandbox's" },
            "sandbox", "up", "--standbys", "2", "--root", root.Path, "--json");
        Assert.True(up.ExitCode == 0, up.All);
        var id = JsonDocument.Parse(up.StandardOutput).RootElement.GetProperty("id").GetString()!;
        var password = JsonDocument.Parse(File.ReadAllText(Path.Combine(root.Path, id, "sandbox.json"))).RootElement.GetProperty("password").GetString()!;

        var list = await Drtools.RunAsync("sandbox", "list", "--root", root.Path, "--json");
        // Runs of other tests may be listed beside it (their scratch folders): the sandbox folder holds this one only.
        var listed = JsonDocument.Parse(list.StandardOutput).RootElement.EnumerateArray().Single(s => s.GetProperty("kind").GetString() == "cluster");
        Assert.Equal(id, listed.GetProperty("id").GetString());
        Assert.Equal("running", listed.GetProperty("state").GetString());

        var status = await Drtools.RunAsync("status", "--sandbox", id, "--root", root.Path);
        Assert.True(status.ExitCode == 0, status.All);
        Assert.Contains($"sandbox {id}: healthy: primary node0", status.StandardOutput);

        var lag = await Drtools.RunAsync("lag", "--sandbox", id, "--root", root.Path, "--max-lag-bytes", "100000000", "--heartbeat", "--max-lag", "10s");
        Assert.True(lag.ExitCode == 0, lag.All);
        Assert.Contains("node2 (127.0.0.1:", lag.StandardOutput);

        var down = await Drtools.RunAsync("sandbox", "down", id, "--root", root.Path);
        Assert.True(down.ExitCode == 0, down.All);
        root.AssertNothingLeft();
        foreach (var output in new[] { up, list, status, lag, down }) Assert.DoesNotContain(password, output.All);
    }

    [Fact]
    public async Task Lag_under_pgbench_load_above_the_threshold_exits_1_and_status_of_a_stopped_standby_exits_1()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        await PgBench.InitializeAsync(sandbox);
        // The load holds until the lag command has measured, however long a busy machine takes to start it.
        using var load = PgBench.StartLoad(sandbox, TimeSpan.FromSeconds(120));
        try
        {
            await Task.Delay(500);
            var lag = await Drtools.RunAsync("lag", "--sandbox", sandbox.Id, "--root", root.Path, "--max-lag-bytes", "0", "--heartbeat", "--max-lag", "1ms", "--duration", "2s", "--interval", "200ms", "--json");
            Assert.True(lag.ExitCode == 1, lag.All);
            var result = JsonDocument.Parse(lag.StandardOutput).RootElement.EnumerateArray().Single();
            Assert.False(result.GetProperty("met").GetBoolean());
            Assert.True(result.GetProperty("lagBytes").GetProperty("measured").GetDouble() > 0);
            Assert.False(result.GetProperty("lagBytes").GetProperty("met").GetBoolean());
            Assert.True(result.GetProperty("heartbeatLagSeconds").GetProperty("measured").GetDouble() > 0);
        }
        finally
        {
            load.Kill();
            await load.WaitForExitAsync();
        }

        await sandbox.Server("node1").StopAsync(Core.Postgres.ShutdownMode.Fast, CancellationToken.None);
        var status = await Drtools.RunAsync("status", "--sandbox", sandbox.Id, "--root", root.Path);
        Assert.Equal(1, status.ExitCode);
        Assert.Contains("unhealthy: node1 (127.0.0.1:", status.StandardOutput);
    }

    [Theory]
    [InlineData(Drtools.SigTerm, "node0/postmaster.pid")]
    [InlineData(Drtools.SigInt, "node1")]
    [InlineData(Drtools.SigInt, "node1/standby.signal")]
    public async Task A_signal_during_sandbox_up_removes_what_was_started(int signal, string marker)
    {
        using var root = new TemporaryRoot();
        using var process = Drtools.Start("sandbox", "up", "--standbys", "1", "--root", root.Path);
        await WaitForAsync(root, marker);
        Drtools.Signal(process, signal);
        var result = await Drtools.CompleteAsync(process, TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 130, result.All);
        Assert.Equal("drtools: cancelled; everything it had started was stopped and removed.", result.StandardError.Trim());
        root.AssertNothingLeft();
    }

    [Fact]
    public async Task A_drill_killed_outright_leaves_an_orphan_that_list_finds_and_down_all_removes()
    {
        using var root = new TemporaryRoot();
        using var process = Drtools.Start("sandbox", "up", "--root", root.Path); // persistent: stays after exit
        var up = await Drtools.CompleteAsync(process, TimeSpan.FromSeconds(60));
        Assert.Equal(0, up.ExitCode);

        // drill owns its sandbox; SIGKILL gives it no chance to clean up.
        using var drill = Drtools.Start(new Dictionary<string, string> { ["DRTOOLS_SANDBOX_ROOT"] = root.Path }, "drill");
        await WaitForAsync(root, "node1/postmaster.pid", count: 2);
        Drtools.Signal(drill, Drtools.SigKill);
        await drill.WaitForExitAsync();

        var list = await Drtools.RunAsync("sandbox", "list", "--root", root.Path, "--json");
        var states = JsonDocument.Parse(list.StandardOutput).RootElement.EnumerateArray().Where(s => s.GetProperty("kind").GetString() == "cluster").Select(s => s.GetProperty("state").GetString()).Order().ToList();
        Assert.Equal(["orphaned", "running"], states);

        var down = await Drtools.RunAsync("sandbox", "down", "--all", "--root", root.Path);
        Assert.True(down.ExitCode == 0, down.All);
        root.AssertNothingLeft();
    }

    [Theory]
    [InlineData(new[] { "status", "--member", "Host=127.0.0.1;Port=abc;Password=Sup3rSecret" }, "drtools: member #1: invalid connection string")]
    [InlineData(new[] { "lag", "--member", "Hots=127.0.0.1;Password=Sup3rSecret" }, "drtools: member #1: invalid connection string")]
    [InlineData(new[] { "status" }, "drtools: name the cluster: --member CONNECTION-STRING (repeat for each member) or --sandbox ID.")]
    [InlineData(new[] { "lag", "--member", "Host=127.0.0.1;Password=Sup3rSecret", "--duration", "5x" }, "drtools: --duration: '5x' is not a duration")]
    [InlineData(new[] { "sandbox", "up", "--standbys", "9", "--root", "/nonexistent-root-for-test" }, "drtools: --standbys: 9 is out of range; give 0 to 8.")]
    [InlineData(new[] { "status", "--sandbox", "no-such-sandbox", "--root", "/tmp" }, "drtools: no sandbox 'no-such-sandbox' under /tmp")]
    [InlineData(new[] { "frobnicate" }, "drtools: ")]
    public async Task Bad_input_is_one_clear_line_on_stderr_and_exit_code_2(string[] arguments, string expected)
    {
        var result = await Drtools.RunAsync(arguments);
        Assert.Equal(2, result.ExitCode);
        var firstLine = result.StandardError.Split('\n')[0];
        Assert.StartsWith(expected, firstLine);
        Assert.DoesNotContain("Sup3rSecret", result.All);
        Assert.DoesNotContain("   at ", result.All);
        Assert.False(Directory.Exists("/nonexistent-root-for-test"));
    }

    [Fact]
    public async Task An_unreachable_member_is_named_in_status_and_is_an_error_for_lag()
    {
        var port = Core.LoopbackPort.Free();
        var member = $"Host=127.0.0.1;Port={port};Username=x;Password=Sup3rSecret";

        var status = await Drtools.RunAsync("status", "--member", member);
        Assert.Equal(1, status.ExitCode);
        Assert.Contains($"unhealthy: 127.0.0.1:{port}: unreachable: connection refused", status.StandardOutput);

        var lag = await Drtools.RunAsync("lag", "--member", member, "--connect-timeout", "2s");
        Assert.Equal(2, lag.ExitCode);
        Assert.Equal($"drtools: 127.0.0.1:{port}: cannot measure lag without exactly one primary: unhealthy: 127.0.0.1:{port}: unreachable: connection refused: nothing is listening on 127.0.0.1:{port}", lag.StandardError.Trim());
        Assert.DoesNotContain("Sup3rSecret", status.All + lag.All);
    }

    private static async Task WaitForAsync(TemporaryRoot root, string marker, int count = 1)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (root.Sandboxes.Count(s => Path.Exists(Path.Combine(s, marker))) < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{marker} did not appear");
            await Task.Delay(1);
        }
    }
}

public sealed class FailoverCliTests
{
    [Fact]
    public async Task What_if_changes_nothing_a_switchover_meets_its_objectives_and_an_impossible_rto_exits_1()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);

        var whatIf = await Drtools.RunAsync("failover", "--sandbox", sandbox.Id, "--root", root.Path, "--mode", "failover", "--what-if");
        Assert.True(whatIf.ExitCode == 0, whatIf.All);
        Assert.StartsWith("What if: Failover: fail primary node0, promote the most advanced standby", whatIf.StandardOutput);
        var status = await Drtools.RunAsync("status", "--sandbox", sandbox.Id, "--root", root.Path);
        Assert.Contains("healthy: primary node0", status.StandardOutput);

        var switchover = await Drtools.RunAsync("failover", "--sandbox", sandbox.Id, "--root", root.Path, "--rto", "30s", "--rpo", "0s", "--json");
        Assert.True(switchover.ExitCode == 0, switchover.All);
        var result = JsonDocument.Parse(switchover.StandardOutput).RootElement;
        Assert.Equal("switchover", result.GetProperty("mode").GetString());
        Assert.Equal(0, result.GetProperty("lostWrites").GetProperty("measured").GetDouble());
        Assert.True(result.GetProperty("writeUnavailability").GetProperty("met").GetBoolean());
        Assert.True(result.GetProperty("topologyAfter").GetProperty("healthy").GetBoolean());

        // Back again, held to an objective no failover can meet.
        var impossible = await Drtools.RunAsync("failover", "--sandbox", sandbox.Id, "--root", root.Path, "--rto", "1ms");
        Assert.True(impossible.ExitCode == 1, impossible.All);
        Assert.Contains("objectives NOT met: write unavailability (RTO)", impossible.StandardOutput);
        Assert.Contains("write unavailability (RTO):", impossible.StandardOutput);
        Assert.Contains("(≤ 0.001 s: NOT met)", impossible.StandardOutput);
    }

    [Fact]
    public async Task A_cluster_given_by_connection_strings_is_refused_unless_every_member_is_allowed()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var members = sandbox.Members.SelectMany(m => new[] { "--member", sandbox.ConnectionString(m) }).ToArray();
        var password = new Npgsql.NpgsqlConnectionStringBuilder(sandbox.ConnectionString(sandbox.Members[0])).Password!;

        var refused = await Drtools.RunAsync(["failover", .. members, "--mode", "failover"]);
        Assert.Equal(2, refused.ExitCode);
        Assert.StartsWith("drtools: failover refused:", refused.StandardError);
        Assert.Contains("is not allowed for drills", refused.StandardError);

        var allowed = await Drtools.RunAsync(["failover", .. members, "--mode", "failover", "--what-if", .. sandbox.Members.SelectMany(m => new[] { "--allow-drill-on", $"127.0.0.1:{m.Port}" })]);
        Assert.True(allowed.ExitCode == 0, allowed.All);
        Assert.Contains("inject the fault: no fault command given", allowed.StandardOutput);
        Assert.DoesNotContain(password, refused.All + allowed.All);
    }

    [Fact]
    public async Task Checksum_saved_as_json_compares_pass_and_then_fail_after_a_change()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        await Sql.ExecuteAsync(sandbox, "node0", "create table ledger as select g as id, g * 10 as amount from generate_series(1, 1000) g");
        var saved = await Drtools.RunAsync("checksum", "--sandbox", sandbox.Id, "--root", root.Path, "--json");
        Assert.True(saved.ExitCode == 0, saved.All);
        var file = Path.Combine(root.Path, "before.json");
        await File.WriteAllTextAsync(file, saved.StandardOutput);

        var same = await Drtools.RunAsync("checksum", "--sandbox", sandbox.Id, "--root", root.Path, "--reference", file);
        Assert.True(same.ExitCode == 0, same.All);
        Assert.Equal("PASS: 1 table(s) identical", same.StandardOutput.Trim());

        await Sql.ExecuteAsync(sandbox, "node0", "delete from ledger where id = 7");
        var changed = await Drtools.RunAsync("checksum", "--sandbox", sandbox.Id, "--root", root.Path, "--reference", file);
        Assert.Equal(1, changed.ExitCode);
        Assert.Equal("FAIL: public.ledger: 1000 rows before, 999 after", changed.StandardOutput.Trim());

        await File.WriteAllTextAsync(file, "{ not json");
        var broken = await Drtools.RunAsync("checksum", "--sandbox", sandbox.Id, "--root", root.Path, "--reference", file);
        Assert.Equal(2, broken.ExitCode);
        Assert.StartsWith($"drtools: --reference {file}: not a checksum saved by 'drtools checksum --json' (line 1", broken.StandardError);
    }

    [Theory]
    [InlineData(500)]   // during the lag check
    [InlineData(2600)]  // during the failover
    public async Task Ctrl_C_in_the_middle_of_the_drill_removes_everything(int afterStandbyStartedMs)
    {
        using var root = new TemporaryRoot();
        using var process = Drtools.Start(new Dictionary<string, string> { ["DRTOOLS_SANDBOX_ROOT"] = root.Path }, "drill");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!root.Sandboxes.Any(s => File.Exists(Path.Combine(s, "node1", "postmaster.pid"))))
        {
            Assert.True(DateTime.UtcNow < deadline, "the drill's standby never started");
            await Task.Delay(5);
        }
        await Task.Delay(afterStandbyStartedMs);
        Drtools.Signal(process, Drtools.SigInt);
        var result = await Drtools.CompleteAsync(process, TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 130, result.All);
        Assert.StartsWith("drtools: ", result.StandardError);
        root.AssertNothingLeft();
    }

    [Fact]
    public async Task The_main_drill_passes_and_removes_its_sandbox()
    {
        using var root = new TemporaryRoot();
        using var process = Drtools.Start(new Dictionary<string, string> { ["DRTOOLS_SANDBOX_ROOT"] = root.Path }, "drill");
        var drill = await Drtools.CompleteAsync(process, TimeSpan.FromSeconds(180));
        Assert.True(drill.ExitCode == 0, drill.All);
        Assert.Contains("Failover of sandbox", drill.StandardOutput);
        Assert.Contains("integrity: PASS: 1 table(s) identical", drill.StandardOutput);
        Assert.Contains("drill PASSED", drill.StandardOutput);
        root.AssertNothingLeft();
    }
}

public sealed class BackupCliTests
{
    /// <summary>A first backup that failed (a target that does not answer) left an empty repository where there was none.</summary>
    [Fact]
    public async Task A_first_backup_that_fails_leaves_no_repository_and_an_existing_one_is_kept()
    {
        using var scratch = new TemporaryRoot();
        var repository = Path.Combine(scratch.Path, "repository");
        string[] create = ["backup", "create", "--repository", repository, "--member", "Host=127.0.0.1;Port=1;Username=x"];
        var failed = await Drtools.RunAsync(create);
        Assert.True(failed.ExitCode == 2, failed.All);
        Assert.False(Directory.Exists(repository), "the failed backup left a repository");
        var archive = await Drtools.RunAsync("backup", "archive", "--repository", repository, "--sandbox", "no-such-sandbox");
        Assert.True(archive.ExitCode == 2, archive.All);
        Assert.False(Directory.Exists(repository), "the failed archive set-up left a repository");

        // Nor the folders it made for a nested path, nor what a full disk let it make before the catalog.
        var nested = Path.Combine(scratch.Path, "new", "sub", "deep");
        failed = await Drtools.RunAsync(["backup", "create", "--repository", nested, .. create[4..]]);
        Assert.True(failed.ExitCode == 2, failed.All);
        Assert.False(Directory.Exists(Path.Combine(scratch.Path, "new")), "the failed backup left the nested path's folders");
        using (var disk = new Tmpfs(Path.Combine(scratch.Path, "full"), "1m"))
        {
            disk.Fill();
            var full = Path.Combine(disk.Path, "repository");
            failed = await Drtools.RunAsync(["backup", "create", "--repository", full, .. create[4..]]);
            Assert.True(failed.ExitCode == 2, failed.All);
            Assert.Contains("no space left", failed.StandardError);
            Assert.False(Directory.Exists(full), "the backup stopped by a full disk left a repository");
        }

        DrTools.Core.Backups.BackupRepository.Open(repository, create: true);
        failed = await Drtools.RunAsync(create);
        Assert.True(failed.ExitCode == 2, failed.All);
        Assert.True(File.Exists(Path.Combine(repository, "catalog.json")), "a repository that was there is kept");
    }

    [Fact]
    public async Task Archive_create_list_verify_and_restore_through_the_command_line()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var repository = Path.Combine(root.Path, "repository");
        var sandboxArgs = new[] { "--sandbox", sandbox.Id, "--root", root.Path, "--repository", repository };

        var archive = await Drtools.RunAsync(["backup", "archive", .. sandboxArgs]);
        Assert.True(archive.ExitCode == 0, archive.All);
        await Sql.ExecuteAsync(sandbox, "node0", "create table ledger as select g as id from generate_series(1, 500) g");
        var create = await Drtools.RunAsync(["backup", "create", .. sandboxArgs, "--json"]);
        Assert.True(create.ExitCode == 0, create.All);
        var id = JsonDocument.Parse(create.StandardOutput).RootElement.GetProperty("id").GetString()!;
        var point = await Drtools.RunAsync(["backup", "restore-point", .. sandboxArgs, "--name", "after-ledger"]);
        Assert.True(point.ExitCode == 0, point.All);
        await Sql.ExecuteAsync(sandbox, "node0", "insert into ledger select 9999");
        await Sql.ExecuteAsync(sandbox, "node0", "select pg_switch_wal()");

        var list = await Drtools.RunAsync("backup", "list", "--repository", repository);
        Assert.Contains(id, list.StandardOutput);
        Assert.Contains("restore point after-ledger at ", list.StandardOutput);
        Assert.Contains("recoverable: ", list.StandardOutput);

        var verify = await Drtools.RunAsync("backup", "verify", "--repository", repository, "--rto", "10m");
        Assert.True(verify.ExitCode == 0, verify.All);
        Assert.StartsWith($"backup {id}: PASS", verify.StandardOutput);

        // A marker query's line break stays inside its line (a line of its own could pass for a verdict).
        var restore = await Drtools.RunAsync("restore", "--repository", repository, "--name", "after-ledger", "--remove",
            "--must-exist", "select 1 from ledger having count(*) = 500\n-- PASS: forged", "--must-not-exist",
            "select 1 from ledger where id = 9999");
        Assert.True(restore.ExitCode == 0, restore.All);
        Assert.Contains("restore of backup", restore.StandardOutput);
        Assert.Contains(@"exists: select 1 from ledger having count(*) = 500\x0A-- PASS: forged", restore.StandardOutput);
        Assert.DoesNotMatch("(?m)^-- PASS", restore.All);
        Assert.Equal(2, root.Sandboxes.Count); // the sandbox and the repository: the restored instances are gone
    }

    /// <summary>
    /// A backup taken without a reference verified PASS with no word of integrity, its method saying "table checksums of
    /// every database against the reference": nothing had been compared.
    /// </summary>
    [Fact]
    public async Task Verifying_a_backup_without_a_reference_says_no_table_was_compared()
    {
        using var root = new TemporaryRoot();
        var repository = await FullDiskCliTests.BackupOfASandboxAsync(root);

        var verify = await Drtools.RunAsync(new Dictionary<string, string> { ["DRTOOLS_SANDBOX_ROOT"] = root.Path },
            "backup", "verify", "--repository", repository);

        Assert.True(verify.ExitCode == 0, verify.All);
        Assert.Contains("  integrity: not checked: the backup was taken without a reference, so no table's rows were compared",
            verify.StandardOutput);
        Assert.DoesNotContain("against the reference", verify.StandardOutput);
        Assert.Contains("no table checksums (the backup was taken without a reference", verify.StandardOutput);
    }

    [Fact]
    public async Task A_corrupt_segment_mid_archive_fails_check_ends_the_listed_window_and_a_restore_past_it_is_refused_naming_it()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        var repository = Path.Combine(root.Path, "repository");
        foreach (var step in new[] { new[] { "backup", "archive" }, ["backup", "create", "--no-reference"] })
        {
            var run = await Drtools.RunAsync([.. step, "--sandbox", sandbox.Id, "--root", root.Path, "--repository", repository]);
            Assert.True(run.ExitCode == 0, run.All);
        }
        await Sql.ExecuteAsync(sandbox, "node0", "create table m (i int)");
        var segments = new List<string>();
        for (var i = 1; i <= 6; i++)
        {
            var segment = await Sql.ScalarAsync<string>(sandbox, "node0",
                $"insert into m values ({i}); select pg_walfile_name(pg_current_wal_lsn())");
            await Sql.ExecuteAsync(sandbox, "node0", "select pg_switch_wal()");
            var archived = Path.Combine(repository, "wal", segment);
            for (var wait = 0; wait < 500 && !File.Exists(archived); wait++) await Task.Delay(20);
            Assert.True(File.Exists(archived), $"{segment} was not archived");
            segments.Add(segment);
        }
        var after = await Sql.ScalarAsync<DateTime>(sandbox, "node0", "select clock_timestamp()");
        var corrupt = Path.Combine(repository, "wal", segments[2]);
        var bytes = File.ReadAllBytes(corrupt);
        bytes[60] ^= 0xFF;
        File.WriteAllBytes(corrupt, bytes);
        // Archived late, as a busy archiver does: every segment's time is after the target. Where the WAL breaks the
        // window's latest time is the last commit replay reaches, so that does not bring the target inside it.
        foreach (var file in Directory.GetFiles(Path.Combine(repository, "wal"))) File.SetLastWriteTimeUtc(file, DateTime.UtcNow);

        var check = await Drtools.RunAsync("backup", "check", "--repository", repository);
        Assert.Equal(1, check.ExitCode);
        Assert.Contains($"segment {segments[2]} on timeline 1 is damaged at", check.StandardOutput);
        var list = await Drtools.RunAsync("backup", "list", "--repository", repository);
        Assert.True(list.ExitCode == 0, list.All);
        Assert.Contains($"where the WAL stops replaying: segment {segments[2]} on timeline 1 is damaged at", list.StandardOutput);

        var time = after.ToString("yyyy-MM-dd HH:mm:ss.ffffff'+00'", System.Globalization.CultureInfo.InvariantCulture);
        var restore = await Drtools.RunAsync("restore", "--repository", repository, "--remove", "--time", time,
            "--must-exist", "select 1 from m having count(*) = 6");
        Assert.True(restore.ExitCode == 2, restore.All);
        Assert.Contains("is outside the recoverable window", restore.StandardError);
        Assert.Contains($"segment {segments[2]} on timeline 1 is damaged at", restore.StandardError);
        Assert.Contains("Nothing was restored.", restore.StandardError);
        Assert.Equal(2, root.Sandboxes.Count);

        // The backup's first segment missing from the archive: a restore of it reads the backup's own copy, as PostgreSQL's
        // recovery does (it said no backup restores, and list, check and restore hung reading from that backup again).
        var backup = DrTools.Core.Backups.BackupRepository.Open(repository, create: false).Backups.Single();
        var position = DrTools.Core.Postgres.Lsn.Parse(backup.StartLsn).Value / (16 * 1024 * 1024);
        var first = Path.Combine(repository, "wal", $"00000001{position / 256:X8}{position % 256:X8}");
        var copy = File.ReadAllBytes(first);
        File.Delete(first);
        var listed = await Drtools.RunAsync("backup", "list", "--repository", repository, "--json");
        Assert.True(listed.ExitCode == 0, listed.All);
        var end = JsonDocument.Parse(listed.StandardOutput).RootElement.GetProperty("recoverableWindow").GetProperty("latestLsn").GetString()!;
        var gap = await Drtools.RunAsync("backup", "check", "--repository", repository);
        Assert.Contains($"WAL segment {Path.GetFileName(first)} is missing from {repository}/wal: only restores of backup {backup.Id}, "
            + "which holds its own copy, pass it", gap.StandardOutput);
        var restored = await Drtools.RunAsync("restore", "--repository", repository, "--remove", "--lsn", end,
            "--must-exist", "select 1 from m having count(*) >= 1");
        Assert.True(restored.ExitCode == 0, restored.All);

        // Damaged there instead: recovery reads the archive's copy first and stops before the backup is consistent.
        copy[60] ^= 0xFF;
        File.WriteAllBytes(first, copy);
        foreach (var json in new[] { Array.Empty<string>(), ["--json"] })
        {
            var nothing = await Drtools.RunAsync(["backup", "list", "--repository", repository, .. json]);
            Assert.True(nothing.ExitCode == 1, nothing.All);
            Assert.Contains($"no backup in {repository} restores from its archive", nothing.StandardOutput);
        }
    }

    [Fact]
    public async Task Check_names_problems_and_expire_what_if_removes_nothing()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        var repository = Path.Combine(root.Path, "repository");
        foreach (var step in new[] { new[] { "backup", "archive" }, ["backup", "create", "--no-reference"], ["backup", "create", "--no-reference"] })
        {
            var run = await Drtools.RunAsync([.. step, "--sandbox", sandbox.Id, "--root", root.Path, "--repository", repository]);
            Assert.True(run.ExitCode == 0, run.All);
        }
        var check = await Drtools.RunAsync("backup", "check", "--repository", repository, "--sandbox", sandbox.Id, "--root", root.Path, "--max-age", "1h", "--keep", "1,0,0");
        Assert.True(check.ExitCode == 0, check.All);
        Assert.Contains("backup policy: PASS", check.StandardOutput);
        Assert.Contains("expired under 'keep 1 daily, 0 weekly, 0 monthly'", check.StandardOutput);
        // Archiving elsewhere (a rebuild that lost the setting): the archiver's counts are another archive's. It said PASS.
        await Sql.ExecuteAsync(sandbox, "node0", "alter system set archive_command = 'true'; select pg_reload_conf()");
        await DrTools.Core.Polling.RequireAsync(
            async () => await Sql.ScalarAsync<string>(sandbox, "node0", "show archive_command") == "true", TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(20), () => "the reload did not take", CancellationToken.None);
        var elsewhere = await Drtools.RunAsync("backup", "check", "--repository", repository, "--sandbox", sandbox.Id, "--root", root.Path);
        Assert.True(elsewhere.ExitCode == 1, elsewhere.All);
        Assert.Contains($"does not archive its WAL into {repository}/wal (archive_mode is off or its archive_command names another place)",
            elsewhere.StandardOutput);

        var tooOld = await Drtools.RunAsync("backup", "check", "--repository", repository, "--max-age", "1ms");
        Assert.Equal(1, tooOld.ExitCode);
        Assert.Contains("backup policy: FAIL: the latest backup", tooOld.StandardOutput);

        var whatIf = await Drtools.RunAsync("backup", "expire", "--repository", repository, "--keep", "1,0,0", "--what-if");
        Assert.True(whatIf.ExitCode == 0, whatIf.All);
        Assert.StartsWith("What if: removing backup ", whatIf.StandardOutput);
        Assert.Equal(2, Directory.GetDirectories(Path.Combine(repository, "backups")).Length);

        var expire = await Drtools.RunAsync("backup", "expire", "--repository", repository, "--keep", "1,0,0");
        Assert.StartsWith("removed backup ", expire.StandardOutput);
        Assert.Single(Directory.GetDirectories(Path.Combine(repository, "backups")));

        var badKeep = await Drtools.RunAsync("backup", "expire", "--repository", repository, "--keep", "lots");
        Assert.Equal(2, badKeep.ExitCode);
        Assert.StartsWith("drtools: --keep: 'lots' is not DAILY,WEEKLY,MONTHLY", badKeep.StandardError);
    }

    [Theory]
    [InlineData(new[] { "restore", "--repository", "/tmp" }, "drtools: restore: give exactly one target: --time, --lsn, --xid or --name.")]
    [InlineData(new[] { "restore", "--repository", "/tmp", "--time", "yesterday-ish" }, "drtools: --time: 'yesterday-ish' is not a time")]
    [InlineData(new[] { "restore", "--repository", "/tmp", "--lsn", "12345" }, "drtools: --lsn: '12345' is not a WAL position")]
    [InlineData(new[] { "restore", "--repository", "/tmp", "--xid", "42" }, "drtools: repository /tmp has no catalog.json")]
    [InlineData(new[] { "backup", "verify", "--repository", "/nonexistent-repo" }, "drtools: repository /nonexistent-repo has no catalog.json")]
    [InlineData(new[] { "backup", "list" }, "drtools: Option '--repository' is required.")]
    public async Task Bad_backup_input_is_one_line_and_exit_code_2(string[] arguments, string expected)
    {
        var result = await Drtools.RunAsync(arguments);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith(expected, result.StandardError.Split('\n')[0]);
        Assert.False(Directory.Exists("/nonexistent-repo"));
    }
}
