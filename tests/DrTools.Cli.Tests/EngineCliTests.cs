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
        var up = await Drtools.RunAsync("sandbox", "up", "--engine", "mariadb", "--standbys", "1", "--root", root.Path, "--json");
        Assert.True(up.ExitCode == 0, up.All);
        var sandbox = JsonDocument.Parse(up.StandardOutput).RootElement;
        var id = sandbox.GetProperty("id").GetString()!;
        Assert.Equal("mariadb", sandbox.GetProperty("engine").GetString());
        var password = JsonDocument.Parse(File.ReadAllText(Path.Combine(root.Path, id, "sandbox.json"))).RootElement.GetProperty("password").GetString()!;
        var port = sandbox.GetProperty("members")[0].GetProperty("port").GetInt32();

        var status = await Drtools.RunAsync("status", "--sandbox", id, "--root", root.Path);
        Assert.True(status.ExitCode == 0, status.All);
        Assert.Contains($"sandbox {id} (mariadb): healthy: primary node0", status.StandardOutput);
        Assert.Contains("GTID", status.StandardOutput);

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
