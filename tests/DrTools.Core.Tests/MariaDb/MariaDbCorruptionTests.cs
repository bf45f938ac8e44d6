using DrTools.Core.Backups;
using DrTools.Core.MariaDb;

using Xunit.Abstractions;

namespace DrTools.Core.Tests;

/// <summary>A dump and a physical copy of one seeded MariaDB cluster, in a repository each row copies before damaging it.</summary>
public sealed class MariaDbCorruptionBackups : IAsyncLifetime
{
    public TemporaryRoot Root { get; } = new();
    public string Repository => Path.Combine(Root.Path, "repo");
    public string DumpId { get; private set; } = "";
    public string PhysicalId { get; private set; } = "";
    /// <summary>The primary's GTID after the last row the archived binlogs hold.</summary>
    public string LastGtid { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var (sandbox, cluster) = await MariaDbBackupTests.SeededAsync(Root);
        await using var _ = sandbox;
        // A table with a secondary index: its tag is in the clustered record and again in the index's own page.
        await MariaDbTests.ScalarAsync(sandbox, "node0", "use shop; create table shop.tagged (id int primary key, tag varchar(20), "
            + "key tag (tag)); insert into shop.tagged select seq, concat('sku ', seq, 'x') from seq_1_to_300; select 1");
        var replicas = (Engines.IReplicaSet)cluster;
        await replicas.WaitAppliedAsync("node1", await replicas.AppliedPositionAsync("node0", CancellationToken.None),
            TimeSpan.FromSeconds(10), CancellationToken.None);
        var repository = BackupRepository.Open(Repository, create: true);
        DumpId = (await MariaDbBackups.CreateAsync(cluster, repository, MariaDbBackups.Dump, CancellationToken.None)).Id;
        // A checkpoint on the replica first: the seeded pages are on disk and outside the copy's redo log, whose replay would
        // otherwise write them again over the damage. Rows written after it are in the redo log the copy holds.
        await MariaDbTests.ScalarAsync(sandbox, "node1", "set global innodb_max_dirty_pages_pct = 0; select 1");
        await Polling.RequireAsync(async () => await MariaDbTests.ScalarAsync(sandbox, "node1",
                "select variable_value from information_schema.global_status where variable_name = 'INNODB_CHECKPOINT_AGE'") < 1024,
            TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100), () => "node1 made no checkpoint in 30 s", CancellationToken.None);
        await MariaDbTests.ScalarAsync(sandbox, "node1", "set global innodb_max_dirty_pages_pct = 90; select 1");
        await MariaDbTests.ScalarAsync(sandbox, "node0",
            "use shop; create table shop.late (id int primary key, v varchar(20)); "
            + "insert into shop.late select seq, concat('late ', seq) from seq_1_to_300; select 1");
        var replicaSet = (Engines.IReplicaSet)cluster;
        var applied = await replicaSet.AppliedPositionAsync("node0", CancellationToken.None);
        await replicaSet.WaitAppliedAsync("node1", applied, TimeSpan.FromSeconds(10), CancellationToken.None);
        PhysicalId = (await MariaDbBackups.CreateAsync(cluster, repository, MariaDbBackups.Physical, CancellationToken.None)).Id;
        // Binlogs for point-in-time recovery: a closed one holding the row a damage changes, and the last one after it.
        await MariaDbTests.ScalarAsync(sandbox, "node0", "insert into shop.customers values (9001, 'customer 9001', 'binlogged'); "
            + "flush binary logs; insert into shop.customers values (9002, 'customer 9002', 'last'); select 1");
        LastGtid = await MariaDbTests.TextAsync(sandbox, "node0", "select @@gtid_binlog_pos");
        await MariaDbPointInTime.ArchiveBinlogsAsync(cluster, repository, CancellationToken.None);
    }

    public Task DisposeAsync()
    {
        Root.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// The corruption matrix of MariaDB backups: every file kind of a dump and of a physical copy damaged, with the
/// backup's own checksums left as they were and rewritten to match; every row is a FAIL naming the file.
/// </summary>
public sealed class MariaDbCorruptionTests(MariaDbCorruptionBackups fixture, ITestOutputHelper output)
    : IClassFixture<MariaDbCorruptionBackups>
{
    public const string Kept = "checksums kept", Rewritten = "checksums rewritten";

    public static TheoryData<string, string, string> Rows()
    {
        var rows = new TheoryData<string, string, string>();
        foreach (var (file, damage) in new[]
                 {
                     ("dump.sql", "value flipped"), ("dump.sql", "truncated"),
                     ("physical/shop/customers.ibd", "value flipped"), ("physical/shop/customers.ibd", "truncated"),
                     ("physical/shop/customers.ibd", "deleted"), ("physical/shop/customers.ibd", "bytes flipped"),
                     ("physical/ib_logfile0", "bytes flipped"), ("physical/ibdata1", "bytes flipped"),
                     ("physical/xtrabackup_checkpoints", "value flipped"), ("physical/xtrabackup_checkpoints", "truncated"),
                 })
        {
            rows.Add(file, damage, Kept);
            rows.Add(file, damage, Rewritten);
        }
        return rows;
    }

    /// <summary>
    /// An archived binlog has no checksum DrTools could compare beyond its events' own CRC32: a value changed with the CRC
    /// rewritten is another valid history, which nothing recorded can tell from the real one (not a row here).
    /// </summary>
    public static TheoryData<string, string> BinlogRows() => new() { { "value flipped", Kept }, { "truncated", Kept } };

    [Theory]
    [MemberData(nameof(BinlogRows))]
    public async Task A_damaged_archived_binlog_fails_point_in_time_recovery_naming_it(string damage, string checksums)
    {
        using var work = new TemporaryRoot();
        var repository = BackupCorruption.CopyRepository(fixture.Repository, Path.Combine(work.Path, "repo"));
        var path = Assert.Single(Directory.GetFiles(MariaDbPointInTime.BinlogDirectory(repository)),
            f => File.ReadAllBytes(f).AsSpan().IndexOf("binlogged"u8) >= 0);
        if (damage == "truncated") BackupCorruption.Truncate(path);
        else BackupCorruption.FlipValue(path, "", "binlogged", everywhere: true);
        var options = new PointInTimeOptions
        {
            Target = RecoveryTarget.Immediate,
            MustExist = ["select 1 from shop.customers where id = 9002"],
            KeepInstance = false,
            Root = work.Path,
        };

        var target = MariaDbRecoveryTarget.ToGtid(fixture.LastGtid);
        var result = await MariaDbPointInTime.RestoreAsync(repository, target, options, fixture.DumpId, CancellationToken.None);

        output.WriteLine($"binlog {damage}, {checksums}: {result.Reason}");
        Assert.False(result.Passed, $"binlog {damage}, {checksums}: a wrong PASS");
        Assert.True(result.Reason!.Contains(Path.GetFileName(path), StringComparison.Ordinal),
            $"binlog {damage}, {checksums}: {result.Reason}");
        Assert.Equal([Path.Combine(work.Path, "repo")], work.Sandboxes);
    }

    [Fact]
    public async Task A_kept_physical_restore_checks_grants_a_client_without_the_password_is_refused()
    {
        using var work = new TemporaryRoot();
        var repository = BackupCorruption.CopyRepository(fixture.Repository, Path.Combine(work.Path, "repo"));
        var result = await MariaDbBackups.VerifyAsync(repository, repository.Backup(fixture.PhysicalId),
            new BackupVerificationOptions { Root = work.Path, KeepInstance = true }, CancellationToken.None);
        Assert.True(result.Passed, result.Reason);
        await using var kept = Sandboxes.Sandbox.Open(result.KeptInstanceId!, work.Path);
        var port = kept.Members[0].Port;

        // Any local user, any name, no password: the source's grants hold on the copy as they did on the source.
        var anyone = new MySqlConnector.MySqlConnection($"Server=127.0.0.1;Port={port};User ID=intruder;Pooling=false");
        var refused = await Assert.ThrowsAsync<MySqlConnector.MySqlException>(() => anyone.OpenAsync());
        Assert.Contains("Access denied", refused.Message, StringComparison.Ordinal);
        Assert.Equal(300, await MariaDbSql.ScalarAsync(kept, "restored", "select count(*) from shop.late"));
    }

    [Fact]
    public async Task A_dump_that_runs_a_shell_command_fails_verification_and_runs_nothing()
    {
        using var work = new TemporaryRoot();
        var (repository, backup, directory) = BackupCorruption.CopyBackup(fixture.Repository, work, fixture.DumpId);
        var path = Path.Combine(directory, "dump.sql");
        var marker = Path.Combine(work.Path, "ran");
        // mariadb-dump's first line turns the client's sandbox mode on: a tampered dump drops it and calls the shell.
        var lines = (await File.ReadAllLinesAsync(path)).Where(l => !l.Contains("enable the sandbox mode", StringComparison.Ordinal));
        await File.WriteAllLinesAsync(path, [$"\\! touch {marker}", $"system touch {marker}", .. lines]);
        BackupCorruption.RewriteDigest(directory, "dump.sql");

        var result = await MariaDbBackups.VerifyAsync(repository, backup, new BackupVerificationOptions { Root = work.Path },
            CancellationToken.None);

        Assert.False(File.Exists(marker), "verifying the dump ran its shell command");
        Assert.False(result.Passed, $"a wrong PASS: {result.Reason}");
        Assert.Contains("sandbox mode", result.Reason, StringComparison.Ordinal);
    }

    /// <summary>A dump's table definitions edited, its rows left alone (and files.sha256 rewritten): the rows load the same.</summary>
    [Theory]
    [InlineData("column type changed", "  `note` text DEFAULT NULL,", "  `note` varchar(40) DEFAULT NULL,",
        "shop.customers: definition differs: column 'note': #3 text null default NULL")]
    [InlineData("column default changed", "  `name` varchar(40) DEFAULT NULL,", "  `name` varchar(40) DEFAULT 'guest',",
        "shop.customers: definition differs: column 'name': #2 varchar(40) null default NULL")]
    [InlineData("index dropped", ",\n  KEY `tag` (`tag`)", "", "shop.tagged: definition differs: index 'tag': dropped")]
    public async Task A_dump_whose_table_definition_was_edited_fails_naming_the_table_and_what_differs(
        string edit, string from, string to, string expected)
    {
        using var work = new TemporaryRoot();
        var (repository, backup, directory) = BackupCorruption.CopyBackup(fixture.Repository, work, fixture.DumpId);
        var path = Path.Combine(directory, "dump.sql");
        var dump = await File.ReadAllTextAsync(path);
        var at = dump.IndexOf(from, StringComparison.Ordinal);
        Assert.True(at >= 0 && dump.IndexOf(from, at + 1, StringComparison.Ordinal) < 0, $"dump.sql holds '{from}' once");
        await File.WriteAllTextAsync(path, dump[..at] + to + dump[(at + from.Length)..]);
        BackupCorruption.RewriteDigest(directory, "dump.sql");

        var result = await MariaDbBackups.VerifyAsync(repository, backup, new BackupVerificationOptions { Root = work.Path },
            CancellationToken.None);

        output.WriteLine($"{edit}: {result.Reason ?? "PASS"}");
        Assert.False(result.Passed, $"a dump with its {edit} passed verification");
        Assert.Contains(expected, result.Reason, StringComparison.Ordinal);
        Assert.Contains("restored from dump.sql", result.Reason, StringComparison.Ordinal);
        Assert.Equal([Path.Combine(work.Path, "repo")], work.Sandboxes);
    }

    /// <summary>
    /// shop.tagged's tag is in its clustered record (page 3, first in the file) and again in its secondary index (page 4).
    /// One of the two copies changes, in case only — the collation calls the two equal, so CHECK TABLE does too — with the
    /// page's checksum made to match again. A query reading the other copy (a covering index scan, or the row) sees nothing.
    /// </summary>
    [Theory]
    [InlineData("clustered record")]
    [InlineData("secondary index record")]
    public async Task A_tag_changed_in_one_index_with_its_page_checksum_rewritten_fails_naming_the_table_index_and_file(string copy)
    {
        using var work = new TemporaryRoot();
        var repository = BackupCorruption.CopyRepository(fixture.Repository, Path.Combine(work.Path, "repo"));
        var backup = repository.Backup(fixture.PhysicalId);
        var options = new BackupVerificationOptions { Root = work.Path };
        if (copy == "clustered record")
        {
            // The cost of the checks, on an undamaged dump and physical copy: both pass.
            var good = await MariaDbBackups.VerifyAsync(repository, backup, options, CancellationToken.None);
            output.WriteLine($"good physical: {good.VerificationSeconds!.Measured:0.000} s verification, "
                + $"{good.TotalSeconds.Measured:0.000} s total");
            Assert.True(good.Passed, good.Reason);
            var dump = await MariaDbBackups.VerifyAsync(repository, repository.Backup(fixture.DumpId), options, CancellationToken.None);
            output.WriteLine($"good dump: {dump.VerificationSeconds!.Measured:0.000} s verification, "
                + $"{dump.TotalSeconds.Measured:0.000} s total");
            Assert.True(dump.Passed, dump.Reason);
        }
        var directory = repository.BackupDirectory(backup.Id);
        var path = Path.Combine(directory, "physical/shop/tagged.ibd");
        var bytes = File.ReadAllBytes(path);
        var inRow = bytes.AsSpan().IndexOf("sku 43x"u8);
        var inIndex = inRow + 1 + bytes.AsSpan(inRow + 1).IndexOf("sku 43x"u8);
        Assert.True(inRow >= 0 && inIndex > inRow && inIndex / 16384 > inRow / 16384, "the tag is in two pages");
        var at = copy == "clustered record" ? inRow : inIndex;
        bytes[at] ^= 0x20; // 's' becomes 'S'
        File.WriteAllBytes(path, bytes);
        BackupCorruption.RewriteInnoDbPageChecksum(path, at, (byte)'s');
        BackupCorruption.RewriteDigest(directory, "physical/shop/tagged.ibd");

        var result = await MariaDbBackups.VerifyAsync(repository, backup, options, CancellationToken.None);

        output.WriteLine($"{copy} changed: {result.Reason ?? "PASS"}");
        Assert.False(result.Passed, $"a physical backup with a changed {copy} passed verification");
        Assert.Contains(copy == "clustered record" ? "shop.tagged: same 300 rows, different content"
            : "shop.tagged: index tag differs from the rows it indexes", result.Reason, StringComparison.Ordinal);
        Assert.Contains("restored from physical/shop/tagged.ibd", result.Reason, StringComparison.Ordinal);
        Assert.Equal([Path.Combine(work.Path, "repo")], work.Sandboxes);
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task A_damaged_backup_file_fails_verification_naming_it(string file, string damage, string checksums)
    {
        using var work = new TemporaryRoot();
        var (repository, backup, directory) = BackupCorruption.CopyBackup(fixture.Repository, work,
            file == "dump.sql" ? fixture.DumpId : fixture.PhysicalId);
        var path = Path.Combine(directory, file);
        var rewritten = checksums == Rewritten;
        switch (damage)
        {
            case "value flipped" when file == "dump.sql":
                BackupCorruption.FlipValue(path, "(43,'customer 43','", "regular");
                break;
            case "value flipped" when file.EndsWith("checkpoints", StringComparison.Ordinal):
                BackupCorruption.FlipValue(path, "last_lsn = ", ""); // its first digit becomes a control character
                break;
            case "value flipped":
                var at = BackupCorruption.FlipValue(path, "customer 43", "regular");
                if (rewritten) BackupCorruption.RewriteInnoDbPageChecksum(path, at, (byte)'r');
                break;
            case "deleted":
                File.Delete(path);
                break;
            case "truncated":
                BackupCorruption.Truncate(path);
                // A dump's own completeness mark is mariadb-dump's trailer: put back after the cut.
                if (rewritten && file == "dump.sql") await File.AppendAllTextAsync(path, "\n-- Dump completed on 2026-01-01  0:00:00\n");
                break;
            case "bytes flipped" when file.EndsWith("ibdata1", StringComparison.Ordinal):
                // Page 3, the change buffer's header, outside the doublewrite buffer (pages 64-191): no redo record
                // touches it and neither the prepare nor the restored server reads it; only a page check of ibdata1 sees it.
                BackupCorruption.FlipBytes(path, 3 * 16384 + 8000, 8);
                break;
            case "bytes flipped" when file.EndsWith(".ibd", StringComparison.Ordinal):
                BackupCorruption.FlipBytes(path, new FileInfo(path).Length / 2 + 100, 8); // in a page; its checksum left wrong
                break;
            default:
                // Inside the log records (the rows written after the checkpoint), past the 12 kB of header and checkpoints.
                BackupCorruption.FlipBytes(path, 12288 + (new FileInfo(path).Length - 12288) / 2, 8);
                break;
        }
        if (rewritten) BackupCorruption.RewriteDigest(directory, file);

        var options = new BackupVerificationOptions { Root = work.Path };
        var result = await MariaDbBackups.VerifyAsync(repository, backup, options, CancellationToken.None);

        output.WriteLine($"{file} {damage}, {checksums}: {result.Reason}");
        Assert.False(result.Passed, $"{file} {damage}, {checksums}: a wrong PASS");
        // Named as the backup's folder holds it; a physical copy's own tools name its files within it (shop/customers.ibd).
        var named = file.StartsWith("physical/", StringComparison.Ordinal) ? file["physical/".Length..] : file;
        Assert.True(result.Reason!.Contains(named, StringComparison.Ordinal), $"{file} {damage}, {checksums}: {result.Reason}");
        Assert.Equal([Path.Combine(work.Path, "repo")], work.Sandboxes); // the verification's instance is gone
    }
}
