using System.Security.Cryptography;
using System.Text.RegularExpressions;
using DrTools.Core.Backups;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;
using DrTools.Core.Tests;

namespace DrTools.Cli.Tests;

/// <summary>
/// One row per place a drtools command writes, each on a small tmpfs that is full or read-only (or, where a server runs
/// in the folder, a read-only bind mount over it): one line naming the file or folder and why, exit 2, and what was on
/// the disk before is there unchanged, with nothing added (no part of a file, no temporary, no folder); a restore's disk
/// is never a FAIL of the backup. The history, catalog, WAL archive, sandbox folder and fault state have their rows in
/// <see cref="FullDiskCliTests"/>.
/// </summary>
public sealed class WriteSiteCliTests
{
    public static TheoryData<string, string> Sites()
    {
        var rows = new TheoryData<string, string>();
        foreach (var site in new[] { "report --output", "run --report-dir", "report sign", "metrics --textfile", "runs scratch folder" })
        {
            rows.Add(site, "full");
            rows.Add(site, "read-only");
        }
        // Room for the new journal but not for the reports made from it: signed neither, or both.
        rows.Add("report sign", "one page free");
        return rows;
    }

    [Theory]
    [MemberData(nameof(Sites))]
    public async Task A_write_on_a_full_or_read_only_disk_is_one_line_naming_it_and_changes_nothing_there(string site, string state)
    {
        using var folder = new TemporaryRoot();
        using var runs = new TemporaryRoot();
        var runbook = Drtools.WriteQuickRunbook(folder.Path);
        using var disk = new Tmpfs(Path.Combine(folder.Path, "disk"), "64k");
        var history = site == "report sign" ? disk.Path : Path.Combine(folder.Path, "history");
        var environment = new Dictionary<string, string> { ["DRTOOLS_RUNS_ROOT"] = runs.Path, ["DRTOOLS_HISTORY"] = history };
        var first = await Drtools.RunAsync(environment, "run", runbook);
        Assert.True(first.ExitCode == 1, first.All);
        var run = Directory.GetDirectories(history).Single();
        var before = Snapshot(disk.Path);
        var readOnly = state == "read-only";
        if (readOnly) disk.MakeReadOnly();
        else disk.Fill(state == "full" ? 0 : 4096);
        var reason = readOnly ? "the file system is read-only" : "no space left on the device";
        if (site == "runs scratch folder") environment["DRTOOLS_RUNS_ROOT"] = disk.Path;

        var (result, expected) = site switch
        {
            "report --output" => (await Drtools.RunAsync(environment, "report", run, "--format", "html", "--output", $"{disk.Path}/r.html"),
                $"cannot write {disk.Path}/r.html: {reason}"),
            "run --report-dir" => (await Drtools.RunAsync(environment, "run", runbook, "--report-dir", $"{disk.Path}/reports"),
                readOnly ? $"cannot make the report folder \\(--report-dir\\) {disk.Path}/reports: {reason}"
                    : $"cannot write {disk.Path}/reports/report\\.md: {reason}"),
            "report sign" => (await Drtools.RunAsync(environment, "report", "sign", run, "--reviewer", "Ada"),
                $"cannot write {run}/{(state == "one page free" ? "report\\.md" : "journal\\.json")}: {reason}"),
            "metrics --textfile" => (await Drtools.RunAsync(environment, "metrics", "--textfile", $"{disk.Path}/drtools.prom"),
                $"cannot write {disk.Path}/drtools\\.prom: {reason}"),
            _ => (await Drtools.RunAsync(environment, "run", runbook),
                readOnly ? $"cannot make a folder in the runs' scratch folder {disk.Path}: {reason}"
                    : $"cannot write {disk.Path}/\\.\\S+\\.new/\\.drtools-run\\.json: {reason}"),
        };

        Assert.True(result.ExitCode == 2, result.All);
        Assert.Matches($"^drtools: {expected}\\.$", result.StandardError.Trim());
        var after = Snapshot(disk.Path);
        if (!readOnly) Assert.True(after.Remove("filler"));
        Assert.Equal(before, after);
        runs.AssertNothingLeft();
        if (site is "run --report-dir" or "runs scratch folder")
        {
            // Nothing ran, or what ran is recorded: the history holds the first run and at most this one, finished.
            Assert.All(Directory.GetDirectories(history), d => Assert.True(File.Exists(Path.Combine(d, "report.html")), d));
        }
    }

    /// <summary>What each engine's backup says: {0} stands for the backup's folder, {1} for the reason.</summary>
    [Theory]
    // pg_basebackup names the file it could not write, or (its compressed stream failing on a flush) none: then the folder.
    [InlineData("postgresql", "full", @"pg_basebackup of node0 \(127\.0\.0\.1:\d+\) failed: cannot write {0}(/base\.tar\.gz)?: {1}")]
    [InlineData("postgresql", "read-only", @"pg_basebackup of node0 \(127\.0\.0\.1:\d+\) failed: cannot make {0}: {1}")]
    [InlineData("redis", "full", @"cannot write {0}/dump\.rdb: {1}")]
    [InlineData("redis", "read-only", "cannot make the backup's folder {0}: {1}")]
    [InlineData("mariadb", "full", @"mariadb-dump of node0 \(127\.0\.0\.1:\d+\) failed: cannot write {0}/dump\.sql: {1}")]
    [InlineData("mariadb", "read-only", "cannot make the backup's folder {0}: {1}")]
    public async Task A_backup_whose_folder_cannot_be_written_is_one_line_naming_it_and_leaves_no_folder(string engine, string state,
        string expected)
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Engine = engine, Standbys = 0, Root = root.Path },
            CancellationToken.None);
        // A MariaDB dump needs a table to dump.
        if (engine == "mariadb") await MariaDbSql.ScalarAsync(sandbox, "node0", "create database s; create table s.t (i int); select 1");
        var repository = Path.Combine(root.Path, "repository");
        BackupRepository.Open(repository, create: true);
        // The backups' disk is small; the catalog and the WAL archive have room.
        using var disk = new Tmpfs(Path.Combine(repository, "backups"), "1m");
        if (state == "read-only") disk.MakeReadOnly();
        else disk.Fill();

        var create = await Drtools.RunAsync("backup", "create", "--sandbox", sandbox.Id, "--root", root.Path, "--repository", repository,
            "--no-reference");

        Assert.True(create.ExitCode == 2, create.All);
        var reason = state == "read-only" ? "the file system is read-only" : "no space left on the device";
        var pattern = "^drtools: " + string.Format(expected, $@"{disk.Path}/\d{{8}}T\d{{6}}Z-[0-9a-f]{{4}}", reason) + @"\.$";
        Assert.True(Regex.IsMatch(create.StandardError.Trim(), pattern), create.StandardError);
        Assert.Equal(state == "read-only" ? [] : ["filler"], Snapshot(disk.Path).Keys);
        Assert.Empty(BackupRepository.Open(repository, create: false).Backups);
    }

    /// <summary>{0} stands for the sandbox folder, {1} for a sandbox's id.</summary>
    [Theory]
    [InlineData("postgresql", 0, @"cannot write {0}/\.{1}\.new/sandbox\.json")]
    // The manifest written again as a member is added: room for it and the password file, not for its temporary beside it.
    [InlineData("postgresql", 8192, @"cannot write {0}/{1}/sandbox\.json")]
    [InlineData("postgresql", 16384, @"initdb of the sandbox primary failed: cannot write {0}/{1}/node0/\S+")]
    // InnoDB waits for room rather than fail: stopped at its timeout, what it said is why.
    [InlineData("mariadb", 16384, @"mariadb-install-db for sandbox node0 did not finish within 60s: cannot write {0}/{1}/\S+")]
    public async Task A_sandbox_on_a_full_disk_is_one_line_naming_the_folder_and_leaves_nothing(string engine, int free, string expected)
    {
        using var root = new TemporaryRoot();
        using var disk = new Tmpfs(Path.Combine(root.Path, "sandboxes"), "64k");
        // With a few pages free the sandbox's own files fit and its server's do not.
        disk.Fill(free);
        var environment = new Dictionary<string, string> { ["DRTOOLS_SANDBOX_ROOT"] = disk.Path };

        var up = await Drtools.RunAsync(environment, "sandbox", "up", "--engine", engine, "--standbys", "0");

        Assert.True(up.ExitCode == 2, up.All);
        var pattern = "^drtools: " + string.Format(expected, disk.Path, @"\d{8}-\d{6}-[0-9a-f]{6}") + @": no space left on the device\.$";
        Assert.True(Regex.IsMatch(up.StandardError.Trim(), pattern), up.StandardError);
        Assert.Equal(["filler"], Snapshot(disk.Path).Keys);
        Assert.Empty(ProcessTable.FindByWorkingDirectory(disk.Path));
    }

    [Fact]
    public async Task A_backup_verified_into_a_full_sandbox_folder_is_one_line_naming_what_is_full_and_leaves_nothing()
    {
        using var root = new TemporaryRoot();
        var repository = await FullDiskCliTests.BackupOfASandboxAsync(root);
        using var restores = new TemporaryRoot();
        using var disk = new Tmpfs(Path.Combine(restores.Path, "sandboxes"), "1m");
        var environment = new Dictionary<string, string> { ["DRTOOLS_SANDBOX_ROOT"] = disk.Path };

        var verify = await Drtools.RunAsync(environment, "backup", "verify", "--repository", repository);

        // The restore's disk, not the backup: an error (exit 2), never a FAIL of a sound backup.
        Assert.True(verify.ExitCode == 2, verify.All);
        var pattern = $@"^drtools: cannot extract base\.tar\.gz into {disk.Path}/\d{{8}}-\d{{6}}-[0-9a-f]{{6}}/restored: " +
            @"no space left on the device\.$";
        Assert.True(Regex.IsMatch(verify.StandardError.Trim(), pattern), verify.All);
        Assert.Empty(Snapshot(disk.Path));
        Assert.Empty(ProcessTable.FindByWorkingDirectory(disk.Path));
    }

    /// <summary>{0} stands for the sandbox folder, {1} for a sandbox's id.</summary>
    [Theory]
    [InlineData("redis", "rdb", @"cannot write {0}/{1}/restored/dump\.rdb")]
    [InlineData("redis", "aof", @"copy of the append-only files failed: cannot write {0}/{1}/restored/appendonlydir/\S+")]
    [InlineData("mariadb", "dump", "mariadb-install-db for sandbox restored failed: cannot write {0}/{1}/restored")]
    public async Task A_backup_of_another_engine_verified_into_a_full_sandbox_folder_is_one_line_naming_the_file_not_a_FAIL(string engine,
        string kind, string expected)
    {
        using var root = new TemporaryRoot();
        var repository = Path.Combine(root.Path, "repository");
        var options = new SandboxOptions { Engine = engine, Standbys = 0, Root = root.Path };
        await using (var sandbox = await Sandbox.CreateAsync(options, CancellationToken.None))
        {
            // A Redis snapshot of 2.4 MB that no compression shrinks: more than the restore's disk holds.
            for (var i = 0; engine == "redis" && i < 24; i++)
            {
                await RedisCli.RunAsync(sandbox, "node0", "SET", $"k{i}", Convert.ToBase64String(RandomNumberGenerator.GetBytes(75_000)));
            }
            // A MariaDB dump needs a table to dump.
            if (engine == "mariadb")
            {
                await MariaDbSql.ScalarAsync(sandbox, "node0", "create database s; create table s.t (i int); select 1");
            }
            var create = await Drtools.RunAsync("backup", "create", "--sandbox", sandbox.Id, "--root", root.Path,
                "--repository", repository, "--kind", kind);
            Assert.True(create.ExitCode == 0, create.All);
        }
        using var restores = new TemporaryRoot();
        using var disk = new Tmpfs(Path.Combine(restores.Path, "sandboxes"), "1m");
        var environment = new Dictionary<string, string> { ["DRTOOLS_SANDBOX_ROOT"] = disk.Path };

        var verify = await Drtools.RunAsync(environment, "backup", "verify", "--repository", repository);

        Assert.True(verify.ExitCode == 2, verify.All);
        var pattern = "^drtools: " + string.Format(expected, disk.Path, @"\d{8}-\d{6}-[0-9a-f]{6}") + @": no space left on the device\.$";
        Assert.True(Regex.IsMatch(verify.StandardError.Trim(), pattern), verify.All);
        Assert.Empty(Snapshot(disk.Path));
        Assert.Empty(ProcessTable.FindByWorkingDirectory(disk.Path));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_restore_stopped_in_recovery_by_its_full_disk_is_one_line_naming_it_and_corrupt_WAL_is_still_a_FAIL(bool corrupt)
    {
        using var root = new TemporaryRoot();
        var repository = Path.Combine(root.Path, "repository");
        await using (var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None))
        {
            // Archived WAL gives the backup a reference point, which recovery reaches by a segment from the archive.
            foreach (var command in new[] { "archive", "create" })
            {
                var result = await Drtools.RunAsync("backup", command, "--sandbox", sandbox.Id, "--root", root.Path,
                    "--repository", repository);
                Assert.True(result.ExitCode == 0, result.All);
            }
        }
        var backup = Assert.Single(BackupRepository.Open(repository, create: false).Backups);
        Assert.NotNull(backup.ReferenceLsn);
        using var restores = new TemporaryRoot();
        // Room for the extracted backup and 8 MB more: not for the 16 MB segment recovery copies in from the archive.
        var size = corrupt ? "1g" : $"{ExtractedBytes(repository, backup.Id) + (8 << 20)}";
        using var disk = new Tmpfs(Path.Combine(restores.Path, "sandboxes"), size);
        if (corrupt)
        {
            // The page header of the segment holding the reference point, the last one archived.
            var segment = Directory.GetFiles(Path.Combine(repository, "wal"))
                .Where(f => Regex.IsMatch(Path.GetFileName(f), "^[0-9A-F]{24}$")).Max()!;
            var bytes = File.ReadAllBytes(segment);
            bytes[0] ^= 0xFF;
            File.WriteAllBytes(segment, bytes);
        }
        var environment = new Dictionary<string, string> { ["DRTOOLS_SANDBOX_ROOT"] = disk.Path };

        var verify = await Drtools.RunAsync(environment, "backup", "verify", "--repository", repository);

        // The restore's disk is an error (exit 2), never a FAIL of a sound backup; the damaged archive stays a FAIL.
        Assert.True(verify.ExitCode == (corrupt ? 1 : 2), verify.All);
        if (corrupt) Assert.Contains("FAIL: recovery: the restored instance did not reach lsn ", verify.StandardOutput);
        else
        {
            var pattern = $@"^drtools: the restored instance in {disk.Path}/\d{{8}}-\d{{6}}-[0-9a-f]{{6}} " +
                "stopped in recovery for its disk, " +
                @"not for the backup: no space left on the device \(its server log: .*No space left on device.*\)\.$";
            Assert.True(Regex.IsMatch(verify.StandardError.Trim(), pattern), verify.All);
        }
        Assert.Empty(Snapshot(disk.Path));
        Assert.Empty(ProcessTable.FindByWorkingDirectory(disk.Path));
    }

    /// <summary>What a backup's archives take on a tmpfs once extracted: every file rounded up to whole 4 kB pages.</summary>
    private static long ExtractedBytes(string repository, string id)
    {
        long bytes = 0;
        foreach (var archive in Directory.GetFiles(Path.Combine(repository, "backups", id), "*.tar*"))
        {
            using var file = File.OpenRead(archive);
            using Stream stream = archive.EndsWith(".gz", StringComparison.Ordinal)
                ? new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress) : file;
            using var reader = new System.Formats.Tar.TarReader(stream);
            while (reader.GetNextEntry() is { } entry) bytes += (entry.Length + 4095) / 4096 * 4096;
        }
        return bytes;
    }

    [Fact]
    public async Task A_failover_whose_history_disk_is_full_says_it_was_not_recorded_and_leaves_no_folder_there()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        using var disk = new Tmpfs(Path.Combine(root.Path, "history"), "64k");
        disk.Fill();

        var failover = await Drtools.RunAsync("failover", "--sandbox", sandbox.Id, "--root", root.Path, "--mode", "switchover",
            "--history", disk.Path);

        // The drill ran and is reported; only its record is missing, and said so.
        Assert.True(failover.ExitCode == 0, failover.All);
        var pattern = $@"^drtools: the drill ran, but it could not be recorded in the drill history: cannot write {disk.Path}/\S+: " +
            @"no space left on the device\.$";
        Assert.True(Regex.IsMatch(failover.StandardError.Trim(), pattern), failover.All);
        Assert.Equal(["filler"], Snapshot(disk.Path).Keys);
    }

    [Theory]
    [InlineData("full")]
    [InlineData("read-only")]
    public async Task A_drill_whose_sandbox_folder_cannot_be_written_is_one_line_naming_the_lock_and_holds_no_lock(string state)
    {
        using var history = new TemporaryRoot();
        using var disk = new Tmpfs(Path.Combine(history.Path, "sandboxes"), "160m");
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = disk.Path }, CancellationToken.None);
        var before = Directory.GetFileSystemEntries(sandbox.Directory).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        var readOnly = state == "read-only";
        if (!readOnly) disk.Fill();
        using var bound = readOnly ? new ReadOnlyBind(sandbox.Directory) : null;
        var environment = new Dictionary<string, string> { ["DRTOOLS_HISTORY"] = history.Path };

        var failover = await Drtools.RunAsync(environment, "failover", "--sandbox", sandbox.Id, "--root", disk.Path,
            "--mode", "switchover");

        Assert.True(failover.ExitCode == 2, failover.All);
        var expected = readOnly
            ? $"drtools: cannot lock {sandbox.Directory}/drill.lock: the file system is read-only."
            : $"drtools: cannot write {sandbox.Directory}/drill.holder: no space left on the device.";
        Assert.Equal(expected, failover.StandardError.Trim());
        // No note and no temporary; the empty lock file is what every drill leaves (a full disk still takes an empty file).
        var lockFile = new FileInfo(Path.Combine(sandbox.Directory, DrTools.Core.Failover.DrillLock.FileName));
        if (!readOnly) before = [.. before.Append(lockFile.Name).Order(StringComparer.Ordinal)];
        Assert.Equal(before, Directory.GetFileSystemEntries(sandbox.Directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.True(readOnly ? !lockFile.Exists : lockFile.Length == 0);
    }

    [Fact]
    public async Task A_binlog_archive_that_fills_its_disk_is_one_line_and_leaves_the_archived_binlogs_as_they_were()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Engine = "mariadb", Standbys = 0, Root = root.Path },
            CancellationToken.None);
        var repository = Path.Combine(root.Path, "repository");
        BackupRepository.Open(repository, create: true);
        using var disk = new Tmpfs(Path.Combine(repository, "binlog"), "64m");
        string[] archive = ["backup", "archive", "--sandbox", sandbox.Id, "--root", root.Path, "--repository", repository];
        var first = await Drtools.RunAsync(archive);
        Assert.True(first.ExitCode == 0, first.All);
        var before = Snapshot(disk.Path);
        // The last binlog grows past what the disk has left.
        await MariaDbSql.ScalarAsync(sandbox, "node0", "create database s; create table s.t (v longtext); " +
            "insert into s.t select repeat(md5(rand()), 4096) from s.seq_1_to_8; select 1");
        disk.Fill();

        var again = await Drtools.RunAsync(archive);

        Assert.True(again.ExitCode == 2, again.All);
        Assert.Equal($"drtools: cannot archive binlogs into {disk.Path}: no space left on the device.", again.StandardError.Trim());
        var after = Snapshot(disk.Path);
        Assert.True(after.Remove("filler"));
        Assert.Equal(before, after);
    }

    /// <summary>The rejoin's first write: the stale lock file of the killed server, or (that removed) its configuration.</summary>
    [Theory]
    [InlineData("postmaster.pid", "remove")]
    [InlineData("postgresql.auto.conf", "write")]
    public async Task A_rejoin_whose_old_primary_turned_read_only_is_one_line_naming_the_file_and_changes_nothing_there(string file,
        string action)
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var old = sandbox.Members[0].DataDirectory;
        var configuration = File.ReadAllBytes(Path.Combine(old, "postgresql.auto.conf"));
        // The fault: the primary killed, and its folder read-only before the drill rejoins it (a bind mount over it: a
        // running server's own writes would crash it).
        var removed = file == "postmaster.pid" ? "" : $"rm '{old}/postmaster.pid' && ";
        var fault = $"kill -9 $(head -1 '{old}/postmaster.pid') && sleep 1 && {removed}" +
            $"mount --bind '{old}' '{old}' && mount -o remount,bind,ro '{old}'";
        var environment = new Dictionary<string, string> { ["DRTOOLS_HISTORY"] = Path.Combine(root.Path, "history") };
        try
        {
            var failover = await Drtools.RunAsync(environment, "failover", "--sandbox", sandbox.Id, "--root", root.Path,
                "--mode", "failover", "--rejoin", "--no-integrity", "--fault-command", fault);

            Assert.True(failover.ExitCode == 2, failover.All);
            // The drill ran, so it is recorded (where, first), then the one line of its error.
            var lines = failover.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(2, lines.Length);
            Assert.StartsWith($"journal, reports and probe history: {environment["DRTOOLS_HISTORY"]}/", lines[0]);
            Assert.StartsWith("drtools: Failover drill failed during the rejoin of the old primary: " +
                $"cannot {action} {old}/{file}: the file system is read-only. The old primary node0 ", lines[1]);
            Assert.Equal(configuration, File.ReadAllBytes(Path.Combine(old, "postgresql.auto.conf")));
            Assert.DoesNotContain(Directory.GetFiles(old), f => f.EndsWith(".tmp", StringComparison.Ordinal));
        }
        finally
        {
            Tmpfs.Run("umount", "-l", old);
        }
    }

    [Fact]
    public async Task A_fault_stopped_when_its_fault_state_turned_read_only_is_undone_and_says_in_one_line_that_its_record_stays()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        using var state = new Tmpfs(Path.Combine(root.Path, "faults"), "64k");
        var environment = new Dictionary<string, string> { ["DRTOOLS_FAULT_STATE"] = state.Path, ["DRTOOLS_SANDBOX_ROOT"] = root.Path };
        var start = await Drtools.RunAsync(environment, "fault", "start", "freeze", "--sandbox", sandbox.Id, "--json");
        Assert.True(start.ExitCode == 0, start.All);
        var id = System.Text.Json.JsonDocument.Parse(start.StandardOutput).RootElement.GetProperty("id").GetString()!;
        state.MakeReadOnly();

        var stop = await Drtools.RunAsync(environment, "fault", "stop", id);

        Assert.True(stop.ExitCode == 2, stop.All);
        Assert.StartsWith($"{id}: undone after ", stop.StandardOutput);
        Assert.Equal($"drtools: {id} is undone, but its record stays: cannot remove {state.Path}/{id}.json: " +
            "the file system is read-only. Delete it once that is fixed; until then fault list shows it.", stop.StandardError.Trim());
        Assert.DoesNotContain(ProcessTable.FindByWorkingDirectory(sandbox.Members[0].DataDirectory), ProcessTable.IsStopped);
    }

    /// <summary>Every file under <paramref name="folder"/>, by its path there, with its content.</summary>
    private static SortedDictionary<string, string> Snapshot(string folder) => new(
        Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories).ToDictionary(
            path => Path.GetRelativePath(folder, path),
            path => Directory.Exists(path) ? "folder" : Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)))),
        StringComparer.Ordinal);
}
