using System.Text.Json;
using DrTools.Core.Tests;

namespace DrTools.Cli.Tests;

/// <summary>drtools on MariaDB and Redis sandboxes: the same commands, choosing by target.</summary>
public sealed class EngineCliTests
{
    [Fact]
    public async Task A_MariaDB_sandbox_is_drilled_backed_up_verified_and_restored_to_a_GTID_from_the_command_line()
    {
        using var root = new TemporaryRoot();
        var repository = Path.Combine(root.Path, "repo");
        // Semi-synchronous: an acknowledged write is on the replica, so RPO 0 holds however late the killed primary's
        // binlog dump thread would have sent it (asynchronous, a loaded machine can lose the last writes for real).
        var up = await Drtools.RunAsync("sandbox", "up", "--engine", "mariadb", "--standbys", "1", "--synchronous", "--root", root.Path,
            "--json");
        Assert.True(up.ExitCode == 0, up.All);
        var sandbox = JsonDocument.Parse(up.StandardOutput).RootElement;
        var id = sandbox.GetProperty("id").GetString()!;
        Assert.Equal("mariadb", sandbox.GetProperty("engine").GetString());
        var password = JsonDocument.Parse(File.ReadAllText(Path.Combine(root.Path, id, "sandbox.json"))).RootElement.GetProperty("password").GetString()!;
        var port = sandbox.GetProperty("members")[0].GetProperty("port").GetInt32();
        // Applications connect as the account read_only stops; the output names both accounts, never the password.
        Assert.Equal("app", sandbox.GetProperty("applicationUser").GetString());
        Assert.Equal("drtools", sandbox.GetProperty("adminUser").GetString());
        Assert.DoesNotContain(password, up.All);

        var status = await Drtools.RunAsync("status", "--sandbox", id, "--root", root.Path);
        Assert.True(status.ExitCode == 0, status.All);
        Assert.Contains($"sandbox {id} (mariadb): healthy: primary node0", status.StandardOutput);
        Assert.Contains("GTID", status.StandardOutput);
        // Given by connection string with the admin account, which writes through read_only: status warns, password unshown.
        var byAdmin = await Drtools.RunAsync("status", "--engine", "mariadb", "--member", $"Server=127.0.0.1;Port={port};User ID=drtools;Password={password}");
        Assert.True(byAdmin.ExitCode == 0, byAdmin.All);
        Assert.Contains($"warning: 127.0.0.1:{port}: the account 'drtools', which the probes write as, has READ_ONLY ADMIN", byAdmin.StandardOutput);
        Assert.DoesNotContain(password, byAdmin.All);

        var failover = await Drtools.RunAsync("failover", "--sandbox", id, "--root", root.Path, "--mode", "failover", "--rejoin", "--rpo", "0s", "--json");
        Assert.True(failover.ExitCode == 0, failover.All);
        var result = JsonDocument.Parse(failover.StandardOutput).RootElement;
        Assert.Equal("mariadb", result.GetProperty("engine").GetString());
        Assert.Equal(0, result.GetProperty("lostWrites").GetProperty("measured").GetDouble());

        var primary = JsonDocument.Parse(failover.StandardOutput).RootElement.GetProperty("topologyAfter").GetProperty("members").EnumerateArray()
            .Single(m => string.Equals(m.GetProperty("role").GetString(), "primary", StringComparison.OrdinalIgnoreCase)).GetProperty("name").GetString()!;
        var opened = Core.Sandboxes.Sandbox.Open(id, root.Path);
        await MariaDbSql.ScalarAsync(opened, primary, "create database marks; create table marks.m (name varchar(20)); insert into marks.m values ('in the dump'); select 1");
        var create = await Drtools.RunAsync("backup", "create", "--sandbox", id, "--root", root.Path, "--repository", repository, "--kind", "dump");
        Assert.True(create.ExitCode == 0, create.All);
        Assert.StartsWith("mariadb dump backup ", create.StandardOutput);
        var verify = await Drtools.RunAsync("backup", "verify", "--repository", repository);
        Assert.True(verify.ExitCode == 0, verify.All);
        Assert.Contains(": PASS", verify.StandardOutput);

        // A marker row on the primary the failover left, the GTID after it, a later row; the restore lands between them.
        await MariaDbSql.ScalarAsync(opened, primary, "insert into marks.m values ('kept'); select 1");
        var gtid = await MariaDbSql.TextAsync(opened, primary, "select @@gtid_binlog_pos");
        await MariaDbSql.ScalarAsync(opened, primary, "insert into marks.m values ('later'); select 1");
        var archive = await Drtools.RunAsync("backup", "archive", "--sandbox", id, "--root", root.Path, "--repository", repository);
        Assert.True(archive.ExitCode == 0, archive.All);
        var restore = await Drtools.RunAsync("restore", "--repository", repository, "--gtid", gtid, "--remove",
            "--must-exist", "select 1 from marks.m where name = 'kept'", "--must-not-exist", "select 1 from marks.m where name = 'later'");
        Assert.True(restore.ExitCode == 0, restore.All);
        // The replay committed transactions: it must not say that it replayed none.
        Assert.DoesNotContain("replayed no transaction", restore.StandardOutput);
        Assert.Contains($"replayed to {gtid};", restore.StandardOutput);

        var wrongEngine = await Drtools.RunAsync("status", "--engine", "redis", "--member", $"127.0.0.1:{port}", "--connect-timeout", "2s");
        Assert.Equal(1, wrongEngine.ExitCode);
        Assert.Contains("does not answer as Redis", wrongEngine.StandardOutput);

        var down = await Drtools.RunAsync("sandbox", "down", id, "--root", root.Path);
        Assert.True(down.ExitCode == 0, down.All);
        foreach (var output in new[] { up, status, failover, create, verify, archive, restore, down }) Assert.DoesNotContain(password, output.All);
        Assert.DoesNotContain(Core.Sandboxes.Sandbox.List(root.Path), s => s.State != Core.Sandboxes.SandboxState.NotASandbox);
    }

    [Fact]
    public async Task Redis_checksums_see_values_nothing_in_scope_is_not_a_pass_and_lag_is_measured_from_the_command_line()
    {
        using var root = new TemporaryRoot();
        var up = await Drtools.RunAsync("sandbox", "up", "--engine", "redis", "--standbys", "1", "--root", root.Path, "--json");
        Assert.True(up.ExitCode == 0, up.All);
        var id = JsonDocument.Parse(up.StandardOutput).RootElement.GetProperty("id").GetString()!;
        var sandbox = Core.Sandboxes.Sandbox.Open(id, root.Path);
        var primary = "node0";
        Task<string> RedisCliAsync(params string[] arguments) => RedisCli.RunAsync(sandbox, primary, arguments);
        Task<CliResult> ChecksumAsync(params string[] arguments) => Drtools.RunAsync(["checksum", "--sandbox", id, "--root", root.Path, .. arguments]);
        var emptyFile = Path.Combine(root.Path, "c0.json");
        var fullFile = Path.Combine(root.Path, "c1.json");

        // Nothing in scope: said, exit 1; a pass only when asked for.
        await File.WriteAllTextAsync(emptyFile, (await ChecksumAsync("--json")).StandardOutput);
        var notChecked = await ChecksumAsync("--reference", emptyFile);
        Assert.True(notChecked.ExitCode == 1, notChecked.All);
        Assert.Equal("not checked: nothing in scope: no table in the reference or now", notChecked.StandardOutput.Trim());
        var allowed = await ChecksumAsync("--reference", emptyFile, "--allow-empty");
        Assert.True(allowed.ExitCode == 0, allowed.All);
        Assert.StartsWith("PASS: nothing in scope", allowed.StandardOutput);
        // A drill on the empty sandbox: integrity not checked, the drill not failed by it.
        var drill = await Drtools.RunAsync("failover", "--sandbox", id, "--root", root.Path, "--mode", "switchover");
        Assert.True(drill.ExitCode == 0, drill.All);
        Assert.Contains("integrity: not checked: nothing in scope", drill.StandardOutput);
        primary = JsonDocument.Parse((await Drtools.RunAsync("status", "--sandbox", id, "--root", root.Path, "--json")).StandardOutput).RootElement.GetProperty("members")
            .EnumerateArray().Single(m => string.Equals(m.GetProperty("role").GetString(), "primary", StringComparison.OrdinalIgnoreCase)).GetProperty("name").GetString()!;

        // The issue's reproduction: three values changed under the same keys fail, naming their patterns.
        await RedisCliAsync("MSET", "acct:1", "100", "user:7", "ada");
        await RedisCliAsync("HSET", "h:1", "f", "v1");
        await File.WriteAllTextAsync(fullFile, (await ChecksumAsync("--json")).StandardOutput);
        // In Redis' words: key patterns and keys, not tables and rows.
        Assert.Equal("PASS: 3 key pattern(s) identical", (await ChecksumAsync("--reference", fullFile)).StandardOutput.Trim());
        Assert.Matches(@"^KEY PATTERN +KEYS +CHECKSUM\n", (await ChecksumAsync()).StandardOutput);
        var indexes = await ChecksumAsync("--check-indexes");
        Assert.Equal((2, "drtools: --check-indexes: PostgreSQL only (redis has no indexes of this kind)."),
            (indexes.ExitCode, indexes.StandardError.Trim()));
        await RedisCliAsync("SET", "acct:1", "999999");
        await RedisCliAsync("HSET", "h:1", "f", "v2");
        await RedisCliAsync("SET", "user:7", "x");
        var changed = await ChecksumAsync("--reference", fullFile);
        Assert.True(changed.ExitCode == 1, changed.All);
        Assert.Equal("FAIL: acct:*: same 1 keys, different content; h:*: same 1 keys, different content; user:*: same 1 keys, different content", changed.StandardOutput.Trim());

        // Lag on the idle pair: met every time; the link's idle time is its own column, not the lag.
        for (var check = 0; check < 3; check++)
        {
            var lag = await Drtools.RunAsync("lag", "--sandbox", id, "--root", root.Path, "--max-lag", "1s");
            Assert.True(lag.ExitCode == 0, lag.All);
            Assert.Contains("LINK IDLE (not lag)", lag.StandardOutput);
            Assert.Contains("link idle: master_last_io_seconds_ago", lag.StandardOutput);
        }

        Assert.True((await Drtools.RunAsync("sandbox", "down", id, "--root", root.Path)).ExitCode == 0);
        root.AssertNothingLeft();
    }

    [Fact]
    public async Task A_Redis_switchover_and_a_bad_address_from_the_command_line()
    {
        using var root = new TemporaryRoot();
        var up = await Drtools.RunAsync("sandbox", "up", "--engine", "redis", "--standbys", "1", "--root", root.Path, "--json");
        Assert.True(up.ExitCode == 0, up.All);
        var id = JsonDocument.Parse(up.StandardOutput).RootElement.GetProperty("id").GetString()!;
        var failover = await Drtools.RunAsync("failover", "--sandbox", id, "--root", root.Path, "--mode", "switchover", "--rto", "2s");
        Assert.True(failover.ExitCode == 0, failover.All);
        Assert.Contains("0 writes", failover.StandardOutput);
        Assert.Contains("HSET of the sequence into drtools:probe:<run>", failover.StandardOutput);

        var malformed = await Drtools.RunAsync("status", "--engine", "redis", "--member", "redis//default:TopSecret@host");
        Assert.Equal(2, malformed.ExitCode);
        Assert.Contains("member #1", malformed.StandardError);
        Assert.DoesNotContain("TopSecret", malformed.All);
        var postgresOnly = await Drtools.RunAsync("fault", "start", "freeze", "--sandbox", id, "--root", root.Path, "--on", "node0");
        Assert.Equal(2, postgresOnly.ExitCode);
        Assert.Contains("is a redis sandbox; this operation is for PostgreSQL", postgresOnly.StandardError);

        Assert.True((await Drtools.RunAsync("sandbox", "down", id, "--root", root.Path)).ExitCode == 0);
        root.AssertNothingLeft();
    }
}
