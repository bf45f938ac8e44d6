using DrTools.Core.Backups;
using DrTools.Core.Engines;
using DrTools.Core.MariaDb;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

/// <summary>MariaDB backups verified by real restores into new instances, and point-in-time recovery by binlog replay.</summary>
public sealed class MariaDbBackupTests
{
    internal static async Task<(Sandbox Sandbox, MariaDbCluster Cluster)> SeededAsync(TemporaryRoot root, int replicas = 1)
    {
        var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Engine = StoreEngines.MariaDb, Standbys = replicas, Root = root.Path }, CancellationToken.None);
        await MariaDbTests.ScalarAsync(sandbox, "node0", """
            create database shop;
            use shop;
            create table shop.customers (id int primary key, name varchar(40), note text null);
            create table shop.orders (id int primary key, customer int, total decimal(10,2));
            insert into shop.customers select seq, concat('customer ', seq), if(seq % 7 = 0, null, 'regular') from seq_1_to_500;
            insert into shop.orders select seq, seq % 500 + 1, seq * 1.25 from seq_1_to_2000;
            select 1
            """);
        var cluster = (MariaDbCluster)sandbox.Cluster;
        await ((IReplicaSet)cluster).WaitAppliedAsync("node1", await ((IReplicaSet)cluster).AppliedPositionAsync("node0", CancellationToken.None), TimeSpan.FromSeconds(10), CancellationToken.None);
        return (sandbox, cluster);
    }

    [Fact]
    public async Task A_good_dump_and_a_good_physical_backup_pass_and_a_damaged_dump_fails_naming_the_fault()
    {
        using var root = new TemporaryRoot();
        var (sandbox, cluster) = await SeededAsync(root);
        await using var _ = sandbox;
        var repository = BackupRepository.Open(Path.Combine(root.Path, "repo"), create: true);
        // Schemas named with a dot, a backquote or a leading dash are dumped like any other ("a.b" was dumped as 'a').
        await MariaDbTests.ScalarAsync(sandbox, "node0", """
            create database `a.b`; create table `a.b`.`t.x` (i int primary key); insert into `a.b`.`t.x` values (1), (2);
            create database `we``ird`; create table `we``ird`.t (i int primary key); insert into `we``ird`.t values (3);
            create database `-x`; create table `-x`.t (i int primary key); insert into `-x`.t values (4);
            create database a; create table a.`b.t.x` (i int primary key); insert into a.`b.t.x` values (1), (2);
            select 1
            """);
        await ((IReplicaSet)cluster).WaitAppliedAsync("node1", await ((IReplicaSet)cluster).AppliedPositionAsync("node0", CancellationToken.None), TimeSpan.FromSeconds(10), CancellationToken.None);

        var dump = await MariaDbBackups.CreateAsync(cluster, repository, MariaDbBackups.Dump, CancellationToken.None);
        Assert.Equal("mariadb", dump.Engine);
        Assert.Contains("node1", dump.Source); // from the replica, its SQL thread paused meanwhile
        // `a.b`.`t.x` and `a`.`b.t.x` were one name, a.b.t.x: a change to one passed as the other's rows.
        Assert.Equal(["-x.t", "`a.b`.`t.x`", "a.`b.t.x`", "shop.customers", "shop.orders", "we`ird.t"],
            dump.Reference!.Tables.Select(t => t.Table).Order(StringComparer.Ordinal));
        var good = await MariaDbBackups.VerifyAsync(repository, dump, new BackupVerificationOptions { Root = root.Path }, CancellationToken.None);
        Assert.True(good.Passed, good.Reason);
        Assert.Equal(2506, good.Integrity!.Current.Tables.Sum(t => t.Rows));
        Assert.True((await cluster.GetStatusAsync(CancellationToken.None)).Healthy);

        var physical = await MariaDbBackups.CreateAsync(cluster, repository, MariaDbBackups.Physical, CancellationToken.None);
        var copied = await MariaDbBackups.VerifyAsync(repository, physical, new BackupVerificationOptions { Root = root.Path }, CancellationToken.None);
        Assert.True(copied.Passed, copied.Reason);

        // An edited row: the dump still loads, the checksum names the table.
        var file = Path.Combine(repository.BackupDirectory(dump.Id), "dump.sql");
        var original = await File.ReadAllTextAsync(file);
        await File.WriteAllTextAsync(file, original.Replace("(43,'customer 43','regular')", "(43,'customer 43','VIP')", StringComparison.Ordinal));
        BackupCorruption.RewriteDigest(repository.BackupDirectory(dump.Id), "dump.sql"); // past files.sha256: the content check must see it
        Assert.NotEqual(original, await File.ReadAllTextAsync(file));
        var edited = await MariaDbBackups.VerifyAsync(repository, dump, new BackupVerificationOptions { Root = root.Path }, CancellationToken.None);
        Assert.False(edited.Passed);
        Assert.Contains("shop.customers: same 500 rows, different content", edited.Reason);

        // Cut short: the missing trailer names it before anything is restored.
        await File.WriteAllTextAsync(file, original[..(original.Length / 2)]);
        BackupCorruption.RewriteDigest(repository.BackupDirectory(dump.Id), "dump.sql");
        var truncated = await MariaDbBackups.VerifyAsync(repository, dump, new BackupVerificationOptions { Root = root.Path }, CancellationToken.None);
        Assert.False(truncated.Passed);
        Assert.Contains("is truncated", truncated.Reason);
        Assert.Single(Sandbox.List(root.Path), s => s.State != SandboxState.NotASandbox); // the verification instances are gone; only the source remains
    }

    /// <summary>
    /// A physical copy taken while the replica flushes pages: ibdata1's doublewrite buffer holds other files' pages, which
    /// innochecksum of the whole file calls invalid. The page check leaves that buffer out, and the sound backup passes.
    /// </summary>
    [Fact]
    public async Task A_physical_backup_taken_while_pages_are_flushed_passes_though_its_doublewrite_buffer_is_in_use()
    {
        using var root = new TemporaryRoot();
        var (sandbox, cluster) = await SeededAsync(root);
        await using var _ = sandbox;
        var repository = BackupRepository.Open(Path.Combine(root.Path, "repo"), create: true);
        await MariaDbTests.ScalarAsync(sandbox, "node0", "create table shop.flow (id int auto_increment primary key, v varchar(200), "
            + "key v (v)); select 1");
        // No dirty page kept on the replica: it flushes, through the doublewrite buffer, all the while it is copied.
        await MariaDbTests.ScalarAsync(sandbox, "node1", "set global innodb_max_dirty_pages_pct = 0; select 1");
        using var stop = new CancellationTokenSource();
        var writes = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await MariaDbTests.ScalarAsync(sandbox, "node0",
                    "use shop; insert into shop.flow (v) select repeat(md5(rand()), 5) from seq_1_to_2000; select 1");
            }
        });
        await Task.Delay(TimeSpan.FromSeconds(3));
        var backup = await MariaDbBackups.CreateAsync(cluster, repository, MariaDbBackups.Physical, CancellationToken.None);
        await stop.CancelAsync();
        await writes.WaitAsync(TimeSpan.FromSeconds(30));
        var system = Path.Combine(repository.BackupDirectory(backup.Id), "physical/ibdata1");
        var whole = await Processes.CommandRunner.RunAsync(new Processes.CommandSpec("innochecksum", "innochecksum", [system])
        {
            RequireSuccess = false,
            Timeout = TimeSpan.FromSeconds(60),
        }, CancellationToken.None);
        Assert.True(whole.ExitCode != 0, "the doublewrite buffer was not in use: nothing here would tell a check that reads it");
        Assert.Matches(@"page::(6[4-9]|[7-9]\d|1[0-8]\d|19[01]) invalid", whole.StandardOutput + whole.StandardError);

        var verified = await MariaDbBackups.VerifyAsync(repository, backup, new BackupVerificationOptions { Root = root.Path },
            CancellationToken.None);

        Assert.True(verified.Passed, verified.Reason);
    }

    [Fact]
    public async Task Point_in_time_recovery_lands_exactly_on_the_marker_rows_by_GTID_and_by_time_and_a_missing_binlog_fails()
    {
        using var root = new TemporaryRoot();
        var (sandbox, cluster) = await SeededAsync(root);
        await using var _ = sandbox;
        var repository = BackupRepository.Open(Path.Combine(root.Path, "repo"), create: true);
        var backup = await MariaDbBackups.CreateAsync(cluster, repository, MariaDbBackups.Dump, CancellationToken.None);

        await MariaDbTests.ScalarAsync(sandbox, "node0", "create table shop.markers (name varchar(10) primary key); insert into shop.markers values ('before'); select 1");
        var afterBefore = await MariaDbTests.TextAsync(sandbox, "node0", "select @@gtid_binlog_pos");
        // Binlog events carry whole seconds: the target time is the next second boundary, the later marker a second after it.
        var target = await NextSecondAsync();
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        await MariaDbTests.ScalarAsync(sandbox, "node0", "insert into shop.markers values ('after'); insert into shop.orders values (999999, 1, 1); select 1");
        await MariaDbPointInTime.ArchiveBinlogsAsync(cluster, repository, CancellationToken.None);

        var options = new PointInTimeOptions
        {
            Target = RecoveryTarget.Immediate,
            MustExist = ["select 1 from shop.markers where name = 'before'"],
            MustNotExist = ["select 1 from shop.markers where name = 'after'", "select 1 from shop.orders where id = 999999"],
            KeepInstance = false,
            Root = root.Path,
        };
        var byGtid = await MariaDbPointInTime.RestoreAsync(repository, MariaDbRecoveryTarget.ToGtid(afterBefore), options, null, CancellationToken.None);
        Assert.True(byGtid.Passed, byGtid.Reason);
        Assert.Equal(afterBefore, byGtid.ReplayedToLsn);
        Assert.All(byGtid.Markers, m => Assert.True(m.Passed));
        var byTime = await MariaDbPointInTime.RestoreAsync(repository, MariaDbRecoveryTarget.ToTime(target), options, null, CancellationToken.None);
        Assert.True(byTime.Passed, byTime.Reason);
        Assert.Equal(3, byTime.Markers.Count);

        // A binlog gone from the middle of the archive: named, nothing restored.
        await MariaDbTests.ScalarAsync(sandbox, "node0", "flush binary logs; insert into shop.markers values ('later'); flush binary logs; select 1");
        var archived = await MariaDbPointInTime.ArchiveBinlogsAsync(cluster, repository, CancellationToken.None);
        Assert.True(archived.Count >= 3);
        File.Delete(Path.Combine(MariaDbPointInTime.BinlogDirectory(repository), archived[1]));
        var gap = await MariaDbPointInTime.RestoreAsync(repository, MariaDbRecoveryTarget.ToTime(DateTimeOffset.UtcNow), options with { MustNotExist = [] }, backup.Id, CancellationToken.None);
        Assert.False(gap.Passed);
        Assert.Contains($"{archived[1]} is missing", gap.Reason);
        Assert.Single(Sandbox.List(root.Path), s => s.State != SandboxState.NotASandbox);
    }

    private static async Task<DateTimeOffset> NextSecondAsync()
    {
        var now = DateTimeOffset.UtcNow;
        var next = new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero).AddSeconds(1);
        await Task.Delay(next - now + TimeSpan.FromMilliseconds(50));
        return next;
    }
}
