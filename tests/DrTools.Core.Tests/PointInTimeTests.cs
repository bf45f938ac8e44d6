using DrTools.Core.Backups;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

public sealed class PointInTimeTests
{
    [Fact]
    public async Task Restoring_to_a_time_a_restore_point_or_an_LSN_keeps_the_1000_rows_and_none_of_the_500_markers()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        var repository = BackupRepository.Open(Path.Combine(root.Path, "repository"), create: true);
        await DbBackups.ConfigureArchivingAsync(sandbox.Target, repository, CancellationToken.None);
        await DbBackups.CreateAsync(sandbox.Target, repository, new BackupOptions { RecordReference = false }, CancellationToken.None);

        await Sql.ExecuteAsync(sandbox, "node0", "create table orders (id int, marker bool not null default false); insert into orders (id) select generate_series(1, 1000)");
        var time = await Sql.ScalarAsync<DateTime>(sandbox, "node0", "select clock_timestamp()");
        await DbBackups.CreateRestorePointAsync(sandbox.Target, repository, "before-markers", CancellationToken.None);
        var lsn = Postgres.Lsn.Parse(await Sql.ScalarAsync<string>(sandbox, "node0", "select pg_current_wal_lsn()::text"));
        await Task.Delay(200);
        await Sql.ExecuteAsync(sandbox, "node0", "insert into orders (id, marker) select generate_series(1001, 1500), true");
        await ArchiveCurrentSegmentAsync(sandbox, repository);

        var targets = new[] { RecoveryTarget.Time(new DateTimeOffset(time, TimeSpan.Zero)), RecoveryTarget.Name("before-markers"), RecoveryTarget.Lsn(lsn) };
        foreach (var target in targets)
        {
            var result = await PointInTimeRestore.RestoreAsync(repository, new PointInTimeOptions
            {
                Target = target,
                MustExist = ["select 1 from orders having count(*) = 1000"],
                MustNotExist = ["select 1 from orders where marker"],
                KeepInstance = false,
                Root = root.Path,
            }, CancellationToken.None);

            Assert.True(result.Passed, $"{target}: {result.Reason}");
            Assert.Equal(2, result.Markers.Count);
            Assert.NotNull(result.LastReplayedTransaction);
            if (target.Kind == "time") Assert.InRange(result.DataLossBeforeTarget!.Measured, 0, 5);
        }
        Assert.Equal(2, root.Sandboxes.Count); // the sandbox and the repository: every restored instance was removed
    }

    [Fact]
    public async Task A_target_outside_the_recoverable_window_is_refused_before_anything_is_restored()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        var repository = BackupRepository.Open(Path.Combine(root.Path, "repository"), create: true);
        await DbBackups.ConfigureArchivingAsync(sandbox.Target, repository, CancellationToken.None);
        var backup = await DbBackups.CreateAsync(sandbox.Target, repository, new BackupOptions { RecordReference = false }, CancellationToken.None);

        var early = await Assert.ThrowsAsync<DrToolsException>(() => PointInTimeRestore.RestoreAsync(repository, new PointInTimeOptions { Target = RecoveryTarget.Time(backup.StartedAt.AddHours(-1)), Root = root.Path }, CancellationToken.None));
        Assert.Contains("is outside the recoverable window", early.Message);
        Assert.Contains("it is before the earliest backup finished", early.Message);
        Assert.EndsWith("Nothing was restored.", early.Message);

        var late = await Assert.ThrowsAsync<DrToolsException>(() => PointInTimeRestore.RestoreAsync(repository, new PointInTimeOptions { Target = RecoveryTarget.Lsn(new Postgres.Lsn(ulong.MaxValue / 2)), Root = root.Path }, CancellationToken.None));
        Assert.Contains("is past the last archived WAL", late.Message);

        var unknown = await Assert.ThrowsAsync<DrToolsException>(() => PointInTimeRestore.RestoreAsync(repository, new PointInTimeOptions { Target = RecoveryTarget.Name("never-made"), Root = root.Path }, CancellationToken.None));
        Assert.StartsWith("restore point 'never-made' is not in the catalog", unknown.Message);
        Assert.Equal(2, root.Sandboxes.Count);
        Assert.Empty(ProcessTable.FindByWorkingDirectory(Path.Combine(root.Path, "repository")));
    }

    [Fact]
    public async Task Impossible_transaction_targets_are_refused_up_front_and_a_failed_restore_leaves_nothing()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        var repository = BackupRepository.Open(Path.Combine(root.Path, "repository"), create: true);
        await DbBackups.ConfigureArchivingAsync(sandbox.Target, repository, CancellationToken.None);
        await DbBackups.CreateAsync(sandbox.Target, repository, new BackupOptions { RecordReference = false }, CancellationToken.None);
        var committed = await Sql.ScalarAsync<long>(sandbox, "node0", "create table t (id int); insert into t values (1); select txid_current()");
        var rolledBack = await Sql.ScalarAsync<long>(sandbox, "node0", "begin; select txid_current(); insert into t values (2); rollback");
        var idle = DateTimeOffset.UtcNow;
        await Task.Delay(50);
        await ArchiveCurrentSegmentAsync(sandbox, repository);
        var before = root.Sandboxes.Count;

        Assert.Contains("transaction id -5 is out of range", Assert.Throws<DrToolsException>(() => RecoveryTarget.Xid(-5)).Message);
        var unknown = await Assert.ThrowsAsync<DrToolsException>(() => PointInTimeRestore.RestoreAsync(repository, new PointInTimeOptions { Target = RecoveryTarget.Xid(999999), Root = root.Path }, CancellationToken.None));
        Assert.StartsWith("transaction 999999 does not appear in the WAL archived in", unknown.Message);
        Assert.EndsWith("Nothing was restored.", unknown.Message);
        var aborted = await Assert.ThrowsAsync<DrToolsException>(() => PointInTimeRestore.RestoreAsync(repository, new PointInTimeOptions { Target = RecoveryTarget.Xid(rolledBack), Root = root.Path }, CancellationToken.None));
        Assert.StartsWith($"transaction {rolledBack} was rolled back (an ABORT record) in the WAL archived in", aborted.Message);
        Assert.Equal(before, root.Sandboxes.Count);

        // A restore that fails after it made its instance (here: a marker query that cannot run) removes it.
        var failed = await Assert.ThrowsAsync<DrToolsException>(() => PointInTimeRestore.RestoreAsync(repository,
            new PointInTimeOptions { Target = RecoveryTarget.Xid(committed), MustExist = ["select * from no_such_table"], Root = root.Path }, CancellationToken.None));
        Assert.Contains("marker query 'select * from no_such_table' failed", failed.Message);
        Assert.EndsWith("; the restored instance was removed.", failed.Message);
        Assert.Equal(before, root.Sandboxes.Count);

        var restored = await PointInTimeRestore.RestoreAsync(repository, new PointInTimeOptions { Target = RecoveryTarget.Xid(committed), MustExist = ["select 1 from t where id = 1"], KeepInstance = false, Root = root.Path }, CancellationToken.None);
        Assert.True(restored.Passed, restored.Reason);
        Assert.Equal(before, root.Sandboxes.Count);

        // A time after the last archived transaction: PostgreSQL finds no commit after it to stop at; the state at that time is the end of the archive.
        var quiet = await PointInTimeRestore.RestoreAsync(repository, new PointInTimeOptions { Target = RecoveryTarget.Time(idle), MustExist = ["select 1 from t where id = 1"], MustNotExist = ["select 1 from t where id = 2"], KeepInstance = false, Root = root.Path }, CancellationToken.None);
        Assert.True(quiet.Passed, quiet.Reason);
        Assert.EndsWith("(no transaction committed after it is archived: recovered to the end of the archived WAL, which is the state at that time)", quiet.Target);
        Assert.Equal(before, root.Sandboxes.Count);
    }

    private static async Task ArchiveCurrentSegmentAsync(Sandbox sandbox, BackupRepository repository)
    {
        var segment = await Sql.ScalarAsync<string>(sandbox, "node0", "select pg_walfile_name(pg_current_wal_lsn())");
        await Sql.ExecuteAsync(sandbox, "node0", "select pg_switch_wal()");
        for (var i = 0; i < 500 && !File.Exists(Path.Combine(repository.WalDirectory, segment)); i++) await Task.Delay(20);
        Assert.True(File.Exists(Path.Combine(repository.WalDirectory, segment)), $"{segment} was not archived");
    }
}
