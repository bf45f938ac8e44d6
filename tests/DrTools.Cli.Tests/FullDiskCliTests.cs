using System.Text.Json;
using DrTools.Core;
using DrTools.Core.Backups;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;
using DrTools.Core.Tests;

namespace DrTools.Cli.Tests;

/// <summary>
/// Every write DrTools makes, on a disk that is full or read-only (a small tmpfs per case), and shared files written by
/// processes at once: one line and exit 2, and nothing half-made left behind.
/// </summary>
public sealed class FullDiskCliTests
{
    /// <summary><paramref name="count"/> uncompressed backup creates started at once; the ids they print, each having exited 0.</summary>
    private static async Task<List<string>> BackupsAtOnceAsync(int count, params string[] arguments)
    {
        var processes = Enumerable.Range(0, count).Select(_ => Drtools.Start(["backup", "create", .. arguments, "--compression", "none",
            "--json"])).ToList();
        var ids = new List<string>();
        foreach (var process in processes)
        {
            using (process)
            {
                var result = await Drtools.CompleteAsync(process, TimeSpan.FromSeconds(300));
                Assert.True(result.ExitCode == 0, result.All);
                ids.Add(JsonDocument.Parse(result.StandardOutput).RootElement.GetProperty("id").GetString()!);
            }
        }
        return ids;
    }

    private static async Task AllVerifyAsync(TemporaryRoot root, string repository, IEnumerable<string> ids)
    {
        foreach (var id in ids)
        {
            var verify = await Drtools.RunAsync(new Dictionary<string, string> { ["DRTOOLS_SANDBOX_ROOT"] = root.Path },
                "backup", "verify", "--repository", repository, "--id", id);
            Assert.True(verify.ExitCode == 0, verify.All);
        }
    }

    private static string[] Entries(string folder) =>
        [.. Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    [Fact]
    public async Task Backups_taken_at_once_into_one_repository_are_all_catalogued_and_a_folder_without_an_entry_is_named()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        var repository = Path.Combine(root.Path, "repository");
        BackupRepository.Open(repository, create: true);
        var ids = await BackupsAtOnceAsync(4, "--sandbox", sandbox.Id, "--root", root.Path, "--repository", repository, "--no-reference");
        Directory.CreateDirectory(Path.Combine(repository, "backups", "left-by-a-kill"));

        var list = await Drtools.RunAsync("backup", "list", "--repository", repository, "--json");
        var listed = JsonDocument.Parse(list.StandardOutput).RootElement;
        Assert.Equal(ids.Order(), listed.GetProperty("backups").EnumerateArray().Select(b => b.GetProperty("id").GetString()).Order());
        Assert.Equal(["left-by-a-kill"], listed.GetProperty("uncatalogued").EnumerateArray().Select(e => e.GetString()));
        var note = $"{repository}/backups/left-by-a-kill has no catalog entry: a backup still being taken, or one whose process was killed";
        Assert.Contains(note, (await Drtools.RunAsync("backup", "list", "--repository", repository)).StandardOutput);
        var check = await Drtools.RunAsync("backup", "check", "--repository", repository);
        Assert.Equal(1, check.ExitCode);
        Assert.Contains(note, check.StandardOutput);
    }

    /// <summary>
    /// Backups with references taken at once from a sandbox being written to: each paused and resumed WAL replay on the
    /// one standby, so one's resume moved another's data past the point it recorded while it read, and 2 of 4 sound
    /// backups failed their verification ("3494 rows before, 3433 after").
    /// </summary>
    [Fact]
    public async Task Backups_with_references_taken_at_once_under_writes_all_verify()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var repository = Path.Combine(root.Path, "repository");
        string[] on = ["--sandbox", sandbox.Id, "--root", root.Path, "--repository", repository];
        var archive = await Drtools.RunAsync(["backup", "archive", .. on]);
        Assert.True(archive.ExitCode == 0, archive.All);
        // Written in a database of its own: the reference reads each database in a snapshot of its own, one after another.
        await Sql.ExecuteAsync(sandbox, "node0", "create database appdb");
        var appdb = new Npgsql.NpgsqlConnectionStringBuilder(sandbox.ConnectionString(sandbox.Members[0])) { Database = "appdb" }
            .ConnectionString;
        await Sql.ScalarOnAsync<object>(appdb, "create table orders (id serial primary key, at timestamptz default now()); select 1");
        using var stop = new CancellationTokenSource();
        var writing = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await Sql.ScalarOnAsync<object>(appdb, "insert into orders default values; select 1");
                await Task.Delay(5);
            }
        });
        var ids = await BackupsAtOnceAsync(4, on);
        await stop.CancelAsync();
        await writing;

        await AllVerifyAsync(root, repository, ids);
    }

    /// <summary>
    /// Redis backups taken at once while clients write: each waited for the server's saves to end, then one's BGSAVE was
    /// refused ("Background save already in progress", raw) and one's CLIENT UNPAUSE ended the others' pauses.
    /// </summary>
    [Fact]
    public async Task Redis_backups_taken_at_once_under_writes_all_complete_and_verify()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Engine = "redis", Standbys = 1, Root = root.Path },
            CancellationToken.None);
        var repository = Path.Combine(root.Path, "repository");
        using var stop = new CancellationTokenSource();
        var writing = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++) await RedisCli.RunAsync(sandbox, "node0", "SET", $"order:{i % 500}", $"{i}");
        });
        var ids = await BackupsAtOnceAsync(4, "--sandbox", sandbox.Id, "--root", root.Path, "--repository", repository);
        await stop.CancelAsync();
        await writing;
        // A repository of Redis backups has no WAL: its check crashed reading an offset as an LSN.
        var check = await Drtools.RunAsync("backup", "check", "--repository", repository);
        Assert.True(check.ExitCode == 0, check.All);

        await AllVerifyAsync(root, repository, ids);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_backup_whose_catalog_cannot_be_written_fails_in_one_line_and_leaves_no_backup_folder(bool readOnly)
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        var repository = Path.Combine(root.Path, "repository");
        // The catalog's disk is small; the backups and the WAL archive have disks of their own with room.
        using var catalogDisk = new Tmpfs(repository, "64k");
        BackupRepository.Open(repository, create: true);
        using var backupDisk = new Tmpfs(Path.Combine(repository, "backups"), "256m");
        using var walDisk = new Tmpfs(Path.Combine(repository, "wal"), "64m");
        if (readOnly) catalogDisk.MakeReadOnly();
        else catalogDisk.Fill();

        var create = await Drtools.RunAsync("backup", "create", "--sandbox", sandbox.Id, "--root", root.Path, "--repository", repository,
            "--no-reference");

        Assert.True(create.ExitCode == 2, create.All);
        var reason = readOnly ? "the file system is read-only" : "no space left on the device";
        Assert.Equal($"drtools: cannot write {repository}/catalog.json: {reason}.", create.StandardError.Trim());
        Assert.Empty(Entries(backupDisk.Path));
        string[] kept = ["backups", "catalog.json", "catalog.lock", .. readOnly ? Array.Empty<string>() : ["filler"], "wal"];
        Assert.Equal(kept, Entries(repository));
        Assert.Empty(BackupRepository.Open(repository, create: false).Backups);
    }

    [Fact]
    public async Task A_WAL_archive_without_room_fails_at_once_naming_it_and_leaves_no_backup_folder_nor_partial_segment()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        var repository = Path.Combine(root.Path, "repository");
        var archive = await Drtools.RunAsync("backup", "archive", "--sandbox", sandbox.Id, "--root", root.Path, "--repository", repository);
        Assert.True(archive.ExitCode == 0, archive.All);
        using var walDisk = new Tmpfs(Path.Combine(repository, "wal"), "1m");

        var create = await Drtools.RunAsync("backup", "create", "--sandbox", sandbox.Id, "--root", root.Path, "--repository", repository);

        Assert.True(create.ExitCode == 2, create.All);
        Assert.Matches($@"^drtools: WAL segment [0-9A-F]{{24}} cannot be archived into {walDisk.Path}: " +
            @"its file system has \S+ free, less than one segment \(16MB\); free space there\.$", create.StandardError.Trim());
        Assert.Empty(Entries(Path.Combine(repository, "backups")));
        // PostgreSQL's archiver goes on trying the segment about every second, and a copy under way is a .tmp for a moment
        // (its archive command removes it when the copy fails). Once the server has stopped, its archiver with it, none may be left.
        await sandbox.Server("node0").StopAsync(DrTools.Core.Postgres.ShutdownMode.Fast, CancellationToken.None);
        Assert.DoesNotContain(Entries(walDisk.Path), name => name.EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("read-only")]
    [InlineData("full")]
    [InlineData("a file")]
    public async Task A_run_whose_history_cannot_be_written_is_one_line_before_anything_runs_and_leaves_nothing(string history)
    {
        using var root = new TemporaryRoot();
        using var runs = new TemporaryRoot();
        using var folder = new TemporaryRoot();
        var runbook = Drtools.WriteLongRunbook(folder.Path, "Unrecorded drill");
        var place = Path.Combine(folder.Path, "history");
        using var disk = history == "a file" ? null : new Tmpfs(place, "64k");
        if (history == "a file") File.WriteAllText(place, "not a folder");
        else if (history == "full") disk!.Fill();
        else disk!.MakeReadOnly();
        var environment = new Dictionary<string, string>
        {
            ["DRTOOLS_SANDBOX_ROOT"] = root.Path, ["DRTOOLS_RUNS_ROOT"] = runs.Path, ["DRTOOLS_HISTORY"] = place,
        };

        var run = await Drtools.RunAsync(environment, "run", runbook);

        Assert.True(run.ExitCode == 2, run.All);
        var reason = history switch
        {
            "a file" => $"{place} is a file, not a folder",
            "full" => "no space left on the device",
            _ => "the file system is read-only",
        };
        // A full tmpfs still takes an empty folder: then the journal is what cannot be written, and the folder goes again.
        var what = history == "full" ? "write" : "make the run's folder in the drill history";
        var journal = history == "full" ? "/journal.json" : "";
        Assert.Matches($@"^drtools: cannot {what} {place}/\S+-unrecorded-drill-\w+{journal}: {reason}\.$", run.StandardError.Trim());
        root.AssertNothingLeft();
        runs.AssertNothingLeft();
        Assert.Equal(history == "full" ? ["filler"] : [], history == "a file" ? [] : Entries(place));
    }

    [Fact]
    public async Task A_run_whose_history_fills_up_at_report_html_is_one_line_naming_it_and_leaves_no_part_of_a_file()
    {
        using var runs = new TemporaryRoot();
        using var folder = new TemporaryRoot();
        // One step that fails at once, without a server: the run still ends and writes its journal and reports.
        var runbook = Path.Combine(folder.Path, "full.yml");
        File.WriteAllText(runbook, """
            name: Report on a full disk
            steps:
              - { name: Policy, run: Test-DbBackupPolicy, with: { repository: /nonexistent-drtools-repository } }
            """);
        var place = Path.Combine(folder.Path, "history");
        // 12 kB are three pages: journal.json (about 2 kB, and its temporary beside it while it is replaced) and report.md
        // (about 2 kB) fit; report.html (about 7 kB, two pages) does not.
        using var disk = new Tmpfs(place, "12k");
        var environment = new Dictionary<string, string> { ["DRTOOLS_RUNS_ROOT"] = runs.Path, ["DRTOOLS_HISTORY"] = place };

        var run = await Drtools.RunAsync(environment, "run", runbook);

        Assert.True(run.ExitCode == 2, run.All);
        var line = Assert.Single(run.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches($@"^drtools: cannot write {place}/\S+-report-on-a-full-disk-\w+/report\.html: no space left on the device\.$", line);
        var runFolder = Assert.Single(Directory.GetDirectories(place));
        // Written whole or not at all: the journal complete; the reports made from it all or none (report.md fitted, and
        // is gone with its temporary), so `drtools report` renders them again from the journal.
        Assert.Equal(["journal.json"], Entries(runFolder));
        var journal = DrTools.Core.Runbooks.RunJournal.Load(Path.Combine(runFolder, "journal.json"));
        Assert.Equal(DrTools.Core.Runbooks.RunStatus.Failed, journal.Status);
        Assert.NotNull(journal.EndedAt);
        runs.AssertNothingLeft();
    }

    /// <summary>A base backup of a new sandbox in a repository under <paramref name="root"/>; the sandbox is gone after.</summary>
    internal static async Task<string> BackupOfASandboxAsync(TemporaryRoot root)
    {
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        var repository = Path.Combine(root.Path, "repository");
        var create = await Drtools.RunAsync("backup", "create", "--sandbox", sandbox.Id, "--root", root.Path, "--repository", repository,
            "--no-reference");
        Assert.True(create.ExitCode == 0, create.All);
        return repository;
    }

    /// <summary>
    /// A MariaDB restore on a 125 MB disk: mariadb-install-db fits, then the server cannot make its files and says only
    /// "Unknown/unsupported storage engine: InnoDB", no word of the disk (a FAIL of a sound backup before). Its disk,
    /// all but full when it stopped, is an error naming the folder; nothing is left there.
    /// </summary>
    [Fact]
    public async Task A_restore_stopped_by_its_full_disk_without_a_word_of_it_is_one_line_naming_the_folder_not_a_FAIL()
    {
        using var root = new TemporaryRoot();
        var repository = Path.Combine(root.Path, "repository");
        await using (var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Engine = "mariadb", Standbys = 0, Root = root.Path },
                         CancellationToken.None))
        {
            await MariaDbSql.ScalarAsync(sandbox, "node0", "create database s; create table s.t (i int); insert into s.t values (1); "
                + "select 1");
            var create = await Drtools.RunAsync("backup", "create", "--sandbox", sandbox.Id, "--root", root.Path,
                "--repository", repository);
            Assert.True(create.ExitCode == 0, create.All);
        }
        using var restores = new TemporaryRoot();
        using var disk = new Tmpfs(Path.Combine(restores.Path, "sandboxes"), "125m");
        var environment = new Dictionary<string, string> { ["DRTOOLS_SANDBOX_ROOT"] = disk.Path };

        var verify = await Drtools.RunAsync(environment, "backup", "verify", "--repository", repository);

        Assert.True(verify.ExitCode == 2, verify.All);
        var pattern = $@"^drtools: the restore in {disk.Path}/\d{{8}}-\d{{6}}-[0-9a-f]{{6}} stopped with \d+\.\d MB free on its disk, "
            + @"not for the backup: no space left on the device \(it said: .+\)\.$";
        Assert.Matches(pattern, verify.StandardError.Trim());
        Assert.Empty(Entries(disk.Path));
        Assert.Empty(ProcessTable.FindByWorkingDirectory(disk.Path));
    }

    /// <summary>
    /// TMPDIR on a nearly full 4 MB disk (256 kB free), everything else with room: what makes its scratch folders there
    /// (the sandbox folder's default) is one line naming the file it could not write and "no space", exit 2; a checksum,
    /// which needs none, runs as ever. Left there: the filler and, at most, the shared roots the folders go in, empty.
    /// {0} stands for TMPDIR, {1} for a sandbox's id.
    /// </summary>
    [Theory]
    [InlineData("backup verify", @"cannot extract base\.tar\.gz into {0}/drtools-sandboxes/{1}/restored")]
    [InlineData("restore", @"cannot extract base\.tar\.gz into {0}/drtools-sandboxes/{1}/restored")]
    [InlineData("drill", @"initdb of the sandbox primary failed: cannot write {0}/drtools-sandboxes/{1}/node0")]
    [InlineData("checksum", null)]
    public async Task A_nearly_full_TMPDIR_is_one_line_naming_the_file_and_leaves_nothing_half_made(string command, string? expected)
    {
        using var root = new TemporaryRoot();
        var repository = Path.Combine(root.Path, "repository");
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        if (command is "backup verify" or "restore")
        {
            foreach (var step in new[] { "archive", "create" })
            {
                var made = await Drtools.RunAsync("backup", step, "--sandbox", sandbox.Id, "--root", root.Path, "--repository", repository);
                Assert.True(made.ExitCode == 0, made.All);
            }
        }
        using var scratch = new TemporaryRoot();
        using var disk = new Tmpfs(Path.Combine(scratch.Path, "tmp"), "4m");
        disk.Fill(256 << 10);
        var environment = new Dictionary<string, string> { ["TMPDIR"] = disk.Path };
        var lsn = command == "restore" ? BackupRepository.Open(repository, create: false).Backups.Single().EndLsn : "";

        var result = command switch
        {
            "backup verify" => await Drtools.RunAsync(environment, "backup", "verify", "--repository", repository),
            "restore" => await Drtools.RunAsync(environment, "restore", "--repository", repository, "--lsn", lsn, "--remove"),
            "drill" => await Drtools.RunAsync(environment, "drill", "--standbys", "1"),
            _ => await Drtools.RunAsync(environment, "checksum", "--sandbox", sandbox.Id, "--root", root.Path),
        };

        if (expected is null) Assert.True(result.ExitCode == 0, result.All);
        else
        {
            Assert.True(result.ExitCode == 2, result.All);
            var pattern = "^drtools: " + string.Format(expected, disk.Path, @"\d{8}-\d{6}-[0-9a-f]{6}")
                + @": no space left on the device\.$";
            Assert.Matches(pattern, result.StandardError.Trim());
        }
        Assert.Equal(["filler"], Directory.GetFiles(disk.Path).Select(Path.GetFileName));
        Assert.All(Directory.GetDirectories(disk.Path), d => Assert.Empty(Directory.EnumerateFileSystemEntries(d)));
        Assert.Subset(new HashSet<string?> { "drtools-sandboxes", "drtools-sockets" },
            Directory.GetDirectories(disk.Path).Select(Path.GetFileName).ToHashSet());
        Assert.Empty(ProcessTable.FindByWorkingDirectory(disk.Path));
    }

    /// <summary>
    /// A drill whose sandbox's disk (TMPDIR's) fills once the sandbox is up: the standby stops streaming, synchronous
    /// commits block, and the drill stopped with "the write probe never succeeded", no word of the disk (exit 2 naming
    /// neither). Its disk, all but full when it stopped, is what it says, naming the sandbox's folder.
    /// </summary>
    [Fact]
    public async Task A_drill_whose_sandbox_disk_fills_is_one_line_naming_the_folder_and_no_space()
    {
        using var scratch = new TemporaryRoot();
        using var disk = new Tmpfs(Path.Combine(scratch.Path, "tmp"), "300m");
        var sandboxes = Path.Combine(disk.Path, "drtools-sandboxes");
        using var drill = Drtools.Start(new Dictionary<string, string> { ["TMPDIR"] = disk.Path }, "drill", "--standbys", "1");
        var completed = Drtools.CompleteAsync(drill, TimeSpan.FromMinutes(8));
        // Up: its last step made the standby synchronous (a full disk before then is the sandbox's, not the drill's).
        await Polling.RequireAsync(() => Task.FromResult(Directory.Exists(sandboxes) && Directory.GetDirectories(sandboxes)
                .Select(d => Path.Combine(d, "node0", "postgresql.auto.conf"))
                .Any(f => File.Exists(f) && File.ReadAllText(f).Contains("synchronous_standby_names", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(100), () => "the drill's sandbox did not come up in 90 s",
            CancellationToken.None);
        disk.Fill(inUse: true);

        var result = await completed;

        Assert.True(result.ExitCode == 2, result.All);
        var pattern = $@"^drtools: the drill's sandbox in {sandboxes}/\d{{8}}-\d{{6}}-[0-9a-f]{{6}} stopped with \d+\.\d MB free "
            + @"on its disk, not for the cluster: no space left on the device \(it said: .+\)\.$";
        Assert.Matches(pattern, result.StandardError.Trim());
        Assert.Empty(Directory.EnumerateFileSystemEntries(sandboxes));
        Assert.Empty(ProcessTable.FindByWorkingDirectory(disk.Path));
    }

    /// <summary>
    /// The same in a runbook's failover step: its message was the drill's ("the write probe never succeeded …"), no word of
    /// the disk. The probe history the drill gathered is still recorded beside the journal.
    /// </summary>
    [Fact]
    public async Task A_runbook_failover_step_whose_sandbox_disk_fills_fails_naming_the_folder_and_no_space()
    {
        using var scratch = new TemporaryRoot();
        using var history = new TemporaryRoot();
        using var disk = new Tmpfs(Path.Combine(scratch.Path, "sandboxes"), "300m");
        var runbook = Path.Combine(scratch.Path, "full.yml");
        File.WriteAllText(runbook, """
            name: Failover on a full disk
            targets:
              db: { sandbox: { standbys: 1, synchronous: true } }
            steps:
              - { name: Fail over, run: Invoke-DbFailover, with: { target: db, mode: Switchover, probeRate: 1 } }
            cleanup:
              - { name: Remove sandbox, run: Remove-DrSandbox, with: { target: db } }
            """);
        using var run = Drtools.Start("run", runbook, "--history", history.Path, "--root", disk.Path);
        var completed = Drtools.CompleteAsync(run, TimeSpan.FromMinutes(8));
        // Filled once the drill's write probe has written (waiting for its lock to name the switchover was too early under
        // load: the disk filled before the probes started, so there was no history yet): a full disk before then is the
        // sandbox's or the plan's, said as such.
        await Polling.RequireAsync(() => ProbeWroteAsync(disk.Path), TimeSpan.FromMinutes(2), TimeSpan.FromMilliseconds(50),
            () => "the drill's write probe never wrote", CancellationToken.None);
        disk.Fill(inUse: true);

        var result = await completed;

        Assert.True(result.ExitCode == 1, result.All);
        var step = Drtools.OnlyJournal(history.Path)!.Steps.Single(s => s.Name == "Fail over");
        Assert.Equal(DrTools.Core.Runbooks.StepStatus.Failed, step.Status);
        Assert.Matches($@"^the drill's sandbox in {disk.Path}/\S+ stopped with \d+\.\d MB free on its disk, not for the cluster: no "
            + @"space left on the device \(it said: .+\)\.$", step.Message);
        Assert.NotNull(step.Drill);
        Assert.Equal(["filler"], Entries(disk.Path));
        Assert.Empty(ProcessTable.FindByWorkingDirectory(disk.Path));
    }

    /// <summary>Whether a drill's write probe has had a row written on the primary of a sandbox under <paramref name="root"/>.</summary>
    private static async Task<bool> ProbeWroteAsync(string root)
    {
        foreach (var found in Sandbox.List(root).Where(s => s.State != SandboxState.NotASandbox))
        {
            try
            {
                var sandbox = Sandbox.Open(found.Id, root);
                if (sandbox.Members.Count == 0) continue; // still being made
                var builder = new Npgsql.NpgsqlConnectionStringBuilder(sandbox.ConnectionString(sandbox.Members[0])) { Timeout = 2 };
                await using var connection = new Npgsql.NpgsqlConnection(builder.ConnectionString);
                await connection.OpenAsync();
                await using var count = new Npgsql.NpgsqlCommand($"select count(*) from {DrTools.Core.Probes.Probe.Table}", connection);
                if ((long)(await count.ExecuteScalarAsync())! > 0) return true;
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or DrToolsException or IOException or TimeoutException)
            {
                // Not up yet, or no probe table yet.
            }
        }
        return false;
    }

    [Fact]
    public async Task Sandbox_up_and_backup_verify_with_the_sandbox_folder_on_a_read_only_disk_are_one_line()
    {
        using var root = new TemporaryRoot();
        var repository = await BackupOfASandboxAsync(root);
        using var restores = new TemporaryRoot();
        using var disk = new Tmpfs(Path.Combine(restores.Path, "sandboxes"), "1m");
        disk.MakeReadOnly();
        var environment = new Dictionary<string, string> { ["DRTOOLS_SANDBOX_ROOT"] = disk.Path };
        var expected = $"drtools: cannot make a folder in the sandbox folder (DRTOOLS_SANDBOX_ROOT or --root) {disk.Path}: " +
            "the file system is read-only.";

        foreach (var arguments in new[] { new[] { "sandbox", "up", "--standbys", "0" }, ["backup", "verify", "--repository", repository] })
        {
            var result = await Drtools.RunAsync(environment, arguments);
            Assert.True(result.ExitCode == 2, result.All);
            Assert.Equal(expected, result.StandardError.Trim());
        }
        Assert.Empty(Entries(disk.Path));
    }

    [Theory]
    [InlineData("postgresql")]
    [InlineData("redis")]
    [InlineData("mariadb")]
    public async Task A_sandbox_folder_the_server_account_cannot_enter_is_refused_up_front_naming_the_folder(string engine)
    {
        using var root = new TemporaryRoot();
        var shut = Path.Combine(root.Path, "private");
        Directory.CreateDirectory(shut);
        File.SetUnixFileMode(shut, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var sandboxes = Path.Combine(shut, "sandboxes");

        var environment = new Dictionary<string, string> { ["DRTOOLS_SANDBOX_ROOT"] = sandboxes };
        var up = await Drtools.RunAsync(environment, "sandbox", "up", "--engine", engine, "--standbys", "0");

        Assert.True(up.ExitCode == 2, up.All);
        Assert.Equal($"drtools: the server account 'postgres' cannot enter {shut} (mode 0700), " +
            $"so no server can start in the sandbox folder {sandboxes}: choose a folder it can reach (DRTOOLS_SANDBOX_ROOT or --root), " +
            $"or let it through with chmod o+x {shut}.", up.StandardError.Trim());
        Assert.Empty(Directory.GetFileSystemEntries(sandboxes));
    }

    [Fact]
    public async Task Fault_stop_all_names_a_freeze_recorded_in_another_fault_state_folder_and_fails_until_it_is_undone()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        Dictionary<string, string> State(string folder) =>
            new() { ["DRTOOLS_FAULT_STATE"] = Path.Combine(root.Path, folder), ["DRTOOLS_SANDBOX_ROOT"] = root.Path };
        var elsewhere = State("faults-elsewhere");
        var here = State("faults");
        // Without --duration the command returns with the freeze in effect, and its process (the owner) is gone.
        var start = await Drtools.RunAsync(elsewhere, "fault", "start", "freeze", "--sandbox", sandbox.Id);
        Assert.True(start.ExitCode == 0, start.All);
        // Tests beside this one may hold faults of their own (nftables tables, cgroup labels are machine-wide): this
        // test judges what concerns its own sandbox's processes.
        var frozen = ProcessTable.FindByWorkingDirectory(sandbox.Members[0].DataDirectory);
        try
        {
            var check = await Drtools.RunAsync(here, "fault", "check", "--sandbox", sandbox.Id);
            Assert.True(check.ExitCode == 1, check.All);
            Assert.Contains("frozen process(s): node0 PID", check.StandardOutput);

            var stop = await Drtools.RunAsync(here, "fault", "stop", "--all");

            Assert.True(stop.ExitCode == 2, stop.All);
            Assert.Matches(@"^drtools: not undone \(recorded in another fault-state folder, DRTOOLS_FAULT_STATE, or not by DrTools\): " +
                @"left: .*\d+ frozen process\(s\): node0 PID \d+", stop.StandardError.Trim());
            Assert.Contains(frozen, pid => System.Text.RegularExpressions.Regex.IsMatch(stop.StandardError, $@"PID {pid}\b"));
        }
        finally
        {
            var undo = await Drtools.RunAsync(elsewhere, "fault", "stop", "--all");
            Assert.DoesNotContain(frozen, ProcessTable.IsStopped);
            Assert.DoesNotContain(frozen, pid => System.Text.RegularExpressions.Regex.IsMatch(undo.StandardError, $@"PID {pid}\b"));
        }
        var after = await Drtools.RunAsync(here, "fault", "stop", "--all");
        Assert.DoesNotContain(frozen, pid => System.Text.RegularExpressions.Regex.IsMatch(after.StandardError, $@"PID {pid}\b"));
        Assert.Equal(0, (await Drtools.RunAsync(here, "fault", "check", "--sandbox", sandbox.Id)).ExitCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_fault_whose_record_cannot_be_written_is_one_line_and_never_applied(bool readOnly)
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        using var state = new Tmpfs(Path.Combine(root.Path, "faults"), "64k");
        if (readOnly) state.MakeReadOnly();
        else state.Fill();
        var environment = new Dictionary<string, string> { ["DRTOOLS_FAULT_STATE"] = state.Path, ["DRTOOLS_SANDBOX_ROOT"] = root.Path };

        var start = await Drtools.RunAsync(environment, "fault", "start", "freeze", "--sandbox", sandbox.Id);

        Assert.True(start.ExitCode == 2, start.All);
        var reason = readOnly ? "the file system is read-only" : "no space left on the device";
        Assert.Matches($@"^drtools: cannot write {state.Path}/freeze-\d+-[0-9a-f]{{6}}\.json: {reason}\.$", start.StandardError.Trim());
        var check = await Drtools.RunAsync(environment, "fault", "check", "--sandbox", sandbox.Id);
        Assert.True(check.ExitCode == 0, check.All);
        Assert.Equal(readOnly ? [] : ["filler"], Entries(state.Path));
    }
}
