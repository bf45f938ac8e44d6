using System.Diagnostics;
using System.Text.RegularExpressions;
using DrTools.Core;
using DrTools.Core.Postgres;
using DrTools.Core.Sandboxes;
using DrTools.Core.Tests;

namespace DrTools.Cli.Tests;

/// <summary>
/// Writes DrTools makes on servers mid-check or mid-drill while a disk is full (a sandbox member's own WAL tmpfs): each
/// ends within its timeout, in one line saying why, and leaves nothing waiting.
/// </summary>
public sealed class MidDrillWriteCliTests
{
    /// <summary>Fills the WAL disk of <paramref name="member"/> to the last byte.</summary>
    private static void FillWalDisk(Sandbox sandbox, string member)
    {
        using var filler = new FileStream(Path.Combine(sandbox.WalVolume(member)!, "filler"), FileMode.CreateNew);
        var block = new byte[4096];
        try
        {
            while (true) filler.Write(block);
        }
        catch (IOException)
        {
            // Full: what the test wanted.
        }
    }

    /// <summary>
    /// The standby's WAL disk full: it stops streaming, and the synchronous commit of the heartbeat waits for it. The
    /// check said "node0 is unreachable: no answer within 3s" of a primary that answers; it names the wait now, and
    /// the heartbeat's session is not left waiting on the primary. The standby's walreceiver, restarted every few seconds,
    /// may be between its attempts or in one, or in a new one while the last one's sender is still listed.
    /// </summary>
    [Fact]
    public async Task A_heartbeat_whose_synchronous_commit_waits_for_a_standby_with_a_full_disk_ends_in_time_naming_the_wait()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions
        {
            Standbys = 1, Synchronous = true, Root = root.Path, WalDiskSize = 128L << 20,
        }, CancellationToken.None);
        FillWalDisk(sandbox, "node1");
        // New segments until the standby needs a file its full disk cannot hold (it may have recycled ones): it stops streaming.
        await Polling.RequireAsync(async () =>
            {
                await Sql.ExecuteAsync(sandbox, "node0", "set synchronous_commit = local; create table if not exists f (x text); "
                    + "insert into f select repeat('x', 1000) from generate_series(1, 4000); select pg_switch_wal()");
                const string streaming = "select count(*) from pg_stat_replication where state = 'streaming'";
                return await Sql.ScalarAsync<long>(sandbox, "node0", streaming) == 0;
            }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200), () => "the standby still streams", CancellationToken.None);
        // Each new attempt of its walreceiver to write into the full disk PANICs the standby, which restarts and drops every
        // session on it, the check's too ("the server closed the connection"). A loaded machine can spend a minute in that
        // loop before an ALTER SYSTEM gets a session: stopped, its configuration loses primary_conninfo, and it stays a
        // standby that does not stream.
        var standby = sandbox.Server("node1");
        await standby.StopAsync(ShutdownMode.Immediate, CancellationToken.None);
        File.AppendAllText(Path.Combine(standby.DataDirectory, "postgresql.auto.conf"), "primary_conninfo = ''\n");
        await standby.StartAsync(CancellationToken.None);
        Assert.Equal(0, await Sql.ScalarAsync<long>(sandbox, "node1", "select count(*) from pg_stat_wal_receiver"));

        var clock = Stopwatch.StartNew();
        var lag = await Drtools.RunAsync("lag", "--sandbox", sandbox.Id, "--root", root.Path, "--heartbeat",
            "--connect-timeout", "3s");
        clock.Stop();

        Assert.True(lag.ExitCode == 2, lag.All);
        // Bounded, not fast: the hang this guards against took 120 s; a loaded machine stretches the 3 s steps.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
        Assert.True(Regex.IsMatch(lag.StandardError.Trim(), $@"^drtools: lag of sandbox {sandbox.Id} cannot be measured: the "
            + @"heartbeat (write|table's creation) on node0 \(127\.0\.0\.1:\d+\) did not commit within 3s: it waits for a "
            + @"synchronous standby to confirm it \(synchronous_standby_names 'ANY 1 \(node1\)'; replication connections: "
            + @"(none|node1 \w+(, node1 \w+)*)\): a standby whose disk is full, or that stopped streaming\? Its server log says why$"), lag.All);
        const string waiting = "select count(*) from pg_stat_activity where wait_event = 'SyncRep'";
        await Polling.RequireAsync(async () => await Sql.ScalarAsync<long>(sandbox, "node0", waiting) == 0,
            TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100), () => "a session still waits for the standby",
            CancellationToken.None);
    }

    /// <summary>
    /// The primary's data disk full (its pg_wal on a disk of its own, with room): the heartbeat's table cannot grow, and
    /// the server says so at once. The check said the primary "is unreachable"; it names the write and the server's error.
    /// </summary>
    [Fact]
    public async Task A_heartbeat_the_full_data_disk_of_the_primary_refuses_is_one_line_naming_the_servers_error()
    {
        using var scratch = new TemporaryRoot();
        using var disk = new Tmpfs(Path.Combine(scratch.Path, "sandboxes"), "300m");
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions
        {
            Standbys = 1, Root = disk.Path, WalDiskSize = 128L << 20,
        }, CancellationToken.None);
        // Each server writes its relation cache file at its first session: on a full disk, it would refuse sessions.
        foreach (var member in new[] { "node0", "node1" }) await Sql.ExecuteAsync(sandbox, member, "select 1");
        disk.Fill(inUse: true);

        var lag = await Drtools.RunAsync("lag", "--sandbox", sandbox.Id, "--root", disk.Path, "--heartbeat", "--connect-timeout", "3s");

        Assert.True(lag.ExitCode == 2, lag.All);
        var expected = $@"^drtools: lag of sandbox {sandbox.Id} cannot be measured: the heartbeat (write|table's creation) on "
            + @"node0 \(127\.0\.0\.1:\d+\) failed: could not extend file "".+"": No space left on device$";
        Assert.True(Regex.IsMatch(lag.StandardError.Trim(), expected), lag.All);
    }

    /// <summary>
    /// The sandbox's disk (its data directories; each pg_wal has a disk of its own) fills as the primary is killed:
    /// the promoted standby's checkpoint PANICs, new sessions fail ("could not write init file"), and the drill said
    /// "node1: Attempted to read past the end of the stream", no word of the disk. Now one line naming the folder, after
    /// the drill was recorded; what DrTools wrote in the data directories is whole (no temporary left, each
    /// postgresql.auto.conf as written).
    /// </summary>
    [Fact]
    public async Task A_failover_whose_sandbox_disk_fills_at_the_fault_is_one_line_naming_the_folder_and_leaves_no_part_of_a_file()
    {
        using var scratch = new TemporaryRoot();
        using var disk = new Tmpfs(Path.Combine(scratch.Path, "sandboxes"), "400m");
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions
        {
            Standbys = 2, Synchronous = true, Root = disk.Path, WalDiskSize = 128L << 20,
        }, CancellationToken.None);
        var postmaster = Path.Combine(sandbox.Members[0].DataDirectory, "postmaster.pid");
        var fault = $"kill -9 $(head -1 '{postmaster}'); dd if=/dev/zero of='{disk.Path}/filler' bs=1M 2>/dev/null; true";

        var failover = await Drtools.RunAsync("failover", "--sandbox", sandbox.Id, "--root", disk.Path, "--mode", "failover",
            "--fault-command", fault, "--history", Path.Combine(scratch.Path, "history"));

        Assert.True(failover.ExitCode == 2, failover.All);
        var lines = failover.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith($"journal, reports and probe history: {scratch.Path}/history/", lines[0]);
        Assert.Matches($@"^drtools: the drill's sandbox in {sandbox.Directory} stopped with \d+\.\d MB free on its disk, "
            + @"not for the cluster: no space left on the device \(it said: .+\)\.$", lines[^1]);
        Assert.Equal(2, lines.Length);
        foreach (var member in sandbox.Members)
        {
            Assert.Empty(Directory.GetFiles(member.DataDirectory, "*.tmp"));
            // Written by DrTools, or rewritten by ALTER SYSTEM (the primary's synchronous_standby_names): whole either way.
            var settings = File.ReadAllText(Path.Combine(member.DataDirectory, "postgresql.auto.conf"));
            Assert.Matches($@"(?m)^port = '?{member.Port}'?$", settings);
            Assert.Matches($@"(?m)^cluster_name = '{member.Name}'$", settings);
            Assert.EndsWith("\n", settings);
        }
    }

    /// <summary>
    /// One standby's data directory on a disk of its own (a tmpfs mounted over it while it was stopped), filled as the
    /// primary is killed: the drill promotes the other standby, then cannot write this one's settings to repoint it.
    /// A sandbox's: DrTools writes postgresql.auto.conf, and names it. Members given by connection string with their
    /// data directories: ALTER SYSTEM on the standby fails ("could not write to file "postgresql.auto.conf.tmp""), and
    /// the line names the folder whose disk is full. One line after the drill was recorded; the file as it was, no
    /// temporary beside it. Sandbox removal unmounts what is mounted inside it.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_standby_whose_data_disk_is_full_when_repointed_is_one_line_naming_it_and_its_settings_are_left_whole(bool given)
    {
        using var root = new TemporaryRoot();
        using var history = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 2, Root = root.Path }, CancellationToken.None);
        var standby = sandbox.Members[2].DataDirectory;
        await sandbox.Server("node2").StopAsync(Core.Postgres.ShutdownMode.Fast, CancellationToken.None);
        Directory.Move(standby, standby + ".moved");
        Directory.CreateDirectory(standby);
        Shell($"mount -t tmpfs -o size=256m,mode=0700 tmpfs '{standby}' && cp -a '{standby}.moved/.' '{standby}/' "
            + $"&& chown postgres: '{standby}' && rm -rf '{standby}.moved'");
        await sandbox.Server("node2").StartAsync(CancellationToken.None);
        var settings = Path.Combine(standby, "postgresql.auto.conf");
        var before = File.ReadAllText(settings);
        var postmaster = Path.Combine(sandbox.Members[0].DataDirectory, "postmaster.pid");
        var fault = $"kill -9 $(head -1 '{postmaster}'); dd if=/dev/zero of='{standby}/filler' bs=1M 2>/dev/null; true";
        var endpoints = sandbox.Members.Select(m => $"127.0.0.1:{m.Port}").ToList();
        // Given members: DrTools controls the standbys by their folders, and the fault command fails the primary.
        string[] target = given
            ? [.. sandbox.Members.SelectMany(m => new[] { "--member", sandbox.ConnectionString(m) }),
                "--data-directory", $"{endpoints[1]}={sandbox.Members[1].DataDirectory}", "--data-directory", $"{endpoints[2]}={standby}",
                .. endpoints.SelectMany(e => new[] { "--allow-drill-on", e })]
            : ["--sandbox", sandbox.Id, "--root", root.Path];

        var failover = await Drtools.RunAsync(["failover", .. target, "--mode", "failover", "--candidate", given ? endpoints[1] : "node1",
            "--fault-command", fault, "--history", history.Path]);

        Assert.True(failover.ExitCode == 2, failover.All);
        var lines = failover.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith($"journal, reports and probe history: {history.Path}/", lines[0]);
        if (given)
        {
            Assert.Matches($@"^drtools: {Regex.Escape(endpoints[2])}'s server in {standby} stopped with 0\.0 MB free on its disk, "
                + @"not for the cluster: no space left on the device \(it said: .*could not write to file ""postgresql\.auto\.conf\.tmp"": "
                + @"No space left on device.*\)\.$", lines[^1]);
        }
        else Assert.Contains($"cannot write {settings}: no space left on the device.", lines[^1]);
        Assert.Equal(2, lines.Length);
        Assert.Equal(before, File.ReadAllText(settings));
        Assert.Empty(Directory.GetFiles(standby, "*.tmp"));
    }

    private static void Shell(string script)
    {
        using var process = Process.Start(new ProcessStartInfo("sh", ["-c", script]) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), $"{script} did not finish");
        Assert.True(process.ExitCode == 0, $"{script}: {error}");
    }
}
