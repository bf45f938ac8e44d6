using DrTools.Core.Backups;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

public sealed partial class PointInTimeTests
{
    [Fact]
    public async Task Restoring_to_a_time_a_restore_point_or_an_LSN_keeps_the_1000_rows_and_none_of_the_500_markers()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        var repository = await BackedUpAsync(sandbox, root);

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
        // A moment before the start is refused naming the start as exactly as PostgreSQL keeps it (to the second, the
        // window seemed to hold the target).
        var moment = await Assert.ThrowsAsync<DrToolsException>(() => PointInTimeRestore.RestoreAsync(repository, new PointInTimeOptions { Target = RecoveryTarget.Time(backup.FinishedAt.AddTicks(-10)), Root = root.Path }, CancellationToken.None));
        Assert.Contains($"Recoverable: {backup.FinishedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss.ffffff}Z", moment.Message);

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
        var repository = await BackedUpAsync(sandbox, root);
        var committed = await Sql.ScalarAsync<long>(sandbox, "node0", "create table t (id int); insert into t values (1); select txid_current()");
        var rolledBack = await Sql.ScalarAsync<long>(sandbox, "node0", "begin; select txid_current(); insert into t values (2); rollback");
        var topLevel = await Sql.ScalarAsync<long>(sandbox, "node0",
            "begin; select txid_current(); savepoint s; insert into t values (3); release s; commit");
        // The row's xmin is the subtransaction that wrote it.
        var subtransaction = await Sql.ScalarAsync<long>(sandbox, "node0", "select xmin::text::bigint from t where id = 3");
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
        var inner = await Assert.ThrowsAsync<DrToolsException>(() => PointInTimeRestore.RestoreAsync(repository, new PointInTimeOptions { Target = RecoveryTarget.Xid(subtransaction), Root = root.Path }, CancellationToken.None));
        Assert.StartsWith($"transaction {subtransaction} is a subtransaction of transaction {topLevel}, whose commit at ", inner.Message);
        Assert.EndsWith($"give {topLevel}. Nothing was restored.", inner.Message);
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

    [Fact]
    public async Task A_corrupt_segment_mid_archive_fails_the_check_ends_the_window_and_fails_a_restore_past_it()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        var repository = await BackedUpAsync(sandbox, root);
        await Sql.ExecuteAsync(sandbox, "node0", "create table m (i int)");
        var segments = new List<string>();
        var afterLast = DateTime.MinValue;
        var secondCommitted = (From: DateTime.MinValue, To: DateTime.MinValue);
        for (var i = 1; i <= 6; i++)
        {
            var before = await Sql.ScalarAsync<DateTime>(sandbox, "node0", "select clock_timestamp()");
            await Sql.ExecuteAsync(sandbox, "node0", $"insert into m values ({i})");
            afterLast = await Sql.ScalarAsync<DateTime>(sandbox, "node0", "select clock_timestamp()");
            if (i == 2) secondCommitted = (before, afterLast);
            segments.Add(await ArchiveCurrentSegmentAsync(sandbox, repository, "node0"));
        }
        var target = RecoveryTarget.Time(new DateTimeOffset(afterLast, TimeSpan.Zero));
        var intact = await PointInTimeRestore.WindowAsync(repository, CancellationToken.None);
        Assert.Null(intact.Break);

        // Byte 60 is inside the first record of the segment (after the 40-byte long page header): its CRC no longer matches.
        var corrupt = segments[2];
        FlipByte(Path.Combine(repository.WalDirectory, corrupt), 60);

        var check = await BackupPolicy.CheckAsync(repository, null, new BackupPolicyOptions(), CancellationToken.None);
        Assert.False(check.Passed);
        Assert.Contains(check.Problems, p => p.Contains($"segment {corrupt} on timeline 1 is damaged at", StringComparison.Ordinal));
        var window = await PointInTimeRestore.WindowAsync(repository, CancellationToken.None);
        Assert.Equal(corrupt, window.Replay!.Segment);
        var corruptStart = WalArchive.Start(corrupt).Value;
        Assert.InRange(Postgres.Lsn.Parse(window.LatestLsn).Value, corruptStart, corruptStart + 0x2000);
        Assert.True(Postgres.Lsn.Parse(window.LatestLsn) < Postgres.Lsn.Parse(intact.LatestLsn));
        Assert.Contains(corrupt, window.ToString());
        // The latest time is the last commit replay reaches (the second row's), not a later segment's archive time: a
        // time just before it restores, one just after it is refused up front.
        Assert.InRange(window.LatestTime.UtcDateTime, secondCommitted.From, secondCommitted.To);
        var inside = await PointInTimeRestore.RestoreAsync(repository, new PointInTimeOptions
        {
            Target = RecoveryTarget.Time(window.LatestTime.AddMilliseconds(-1)), MustExist = ["select 1 from m having count(*) = 1"],
            KeepInstance = false, Root = root.Path,
        }, CancellationToken.None);
        Assert.True(inside.Passed, $"{inside.Target}: {inside.Reason}");
        var after = await RestoreOutcomeAsync(repository, RecoveryTarget.Time(window.LatestTime.AddMilliseconds(1)), root.Path);
        Assert.Contains("it is after the end of the WAL that replays", after.Text);

        var outcome = await RestoreOutcomeAsync(repository, target, root.Path);
        AssertNamesTheBreak(outcome, corrupt, 1, window.LatestLsn, target);

        // A target at the latest time itself: replay passes that commit and reaches the break looking for a later one. The
        // end of the WAL it reached is not PASS (a commit of that time may be beyond the break).
        var atLatest = RecoveryTarget.Time(window.LatestTime);
        var restored = await PointInTimeRestore.RestoreAsync(repository, new PointInTimeOptions
        {
            Target = atLatest, MustExist = ["select 1 from m having count(*) = 6"], KeepInstance = false, Root = root.Path,
        }, CancellationToken.None);
        Assert.False(restored.Passed);
        AssertNamesTheBreak((false, $"{restored.Target}: {restored.Reason}"), corrupt, 1, window.LatestLsn, atLatest);
        Assert.Contains("missing: select 1 from m having count(*) = 6", restored.Reason);
        Assert.Equal(2, root.Sandboxes.Count);
    }

    /// <summary>
    /// A commit written after the last archived segment was finished, but before a slow archiver had copied it: the
    /// window's latest time was the copy's time, so a target between the commit and the copy restored without it, PASS.
    /// </summary>
    [Fact]
    public async Task A_commit_after_the_last_archived_segment_is_never_inside_the_window_however_late_the_archiver_copied()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        var repository = await BackedUpAsync(sandbox, root);
        // A busy archiver: each segment copied a second after it is finished.
        var slow = ("sleep 1 && " + WalArchive.ArchiveCommand(repository.WalDirectory)).Replace("'", "''");
        await Sql.ExecuteAsync(sandbox, "node0", $"alter system set archive_command = '{slow}'");
        await Sql.ExecuteAsync(sandbox, "node0", "select pg_reload_conf()");
        await Sql.ExecuteAsync(sandbox, "node0", "create table m (i int); insert into m values (1)");
        var segment = await Sql.ScalarAsync<string>(sandbox, "node0", "select pg_walfile_name(pg_current_wal_lsn())");
        await Sql.ExecuteAsync(sandbox, "node0", "select pg_switch_wal()");
        await Task.Delay(200);
        var written = await Sql.ScalarAsync<DateTime>(sandbox, "node0", "insert into m values (2) returning clock_timestamp()");
        var copy = Path.Combine(repository.WalDirectory, segment);
        for (var i = 0; i < 500 && !File.Exists(copy); i++) await Task.Delay(20);
        Assert.True(File.Exists(copy), $"{segment} was not archived");

        var target = RecoveryTarget.Time(new DateTimeOffset(written, TimeSpan.Zero).AddMilliseconds(20));
        var outcome = await RestoreOutcomeAsync(repository, target, root.Path);
        Assert.False(outcome.Passed, outcome.Text);
        Assert.Contains("is outside the recoverable window", outcome.Text);
    }

    /// <summary>
    /// Damage ends what the backups before it reach, not what a later backup reaches; a backup whose own WAL is damaged
    /// restores nothing (recovery reads the archive's copy before its own, and stops before the backup is consistent).
    /// </summary>
    [Fact]
    public async Task Damage_cuts_off_the_backups_before_it_and_a_backup_whose_own_WAL_is_damaged_restores_nothing()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        var repository = BackupRepository.Open(Path.Combine(root.Path, "repository"), create: true);
        await DbBackups.ConfigureArchivingAsync(sandbox.Target, repository, CancellationToken.None);
        var options = new BackupOptions { RecordReference = false };
        var first = await DbBackups.CreateAsync(sandbox.Target, repository, options, CancellationToken.None);
        var early = await Sql.ScalarAsync<long>(sandbox, "node0", "create table m (i int); select txid_current()");
        await ArchiveCurrentSegmentAsync(sandbox, repository);
        await Sql.ExecuteAsync(sandbox, "node0", "insert into m values (1)");
        var corrupt = await ArchiveCurrentSegmentAsync(sandbox, repository, "node0");
        var beyond = await Sql.ScalarAsync<long>(sandbox, "node0", "insert into m values (2) returning txid_current()");
        await ArchiveCurrentSegmentAsync(sandbox, repository);
        var second = await DbBackups.CreateAsync(sandbox.Target, repository, options, CancellationToken.None);
        await Sql.ExecuteAsync(sandbox, "node0", "insert into m values (3)");
        var afterLast = await Sql.ScalarAsync<DateTime>(sandbox, "node0", "select clock_timestamp()");
        await ArchiveCurrentSegmentAsync(sandbox, repository);
        FlipByte(Path.Combine(repository.WalDirectory, corrupt), 60);

        var window = await PointInTimeRestore.WindowAsync(repository, CancellationToken.None);
        Assert.Equal(second.Id, window.BackupId);
        Assert.Equal(second.FinishedAt, window.EarliestTime);
        Assert.Null(window.Break);
        Assert.Contains($"the backups before {second.Id} do not reach it: WAL replay from backup {first.Id} stops at", window.ToString());
        Assert.Contains(corrupt, window.CutOff);
        var check = await BackupPolicy.CheckAsync(repository, null, new BackupPolicyOptions(), CancellationToken.None);
        Assert.Contains(check.Problems, p => p.StartsWith($"WAL replay from backup {first.Id} stops at", StringComparison.Ordinal)
            && p.Contains($"segment {corrupt} on timeline 1 is damaged", StringComparison.Ordinal));
        var restored = await PointInTimeRestore.RestoreAsync(repository, new PointInTimeOptions
        {
            Target = RecoveryTarget.Time(new DateTimeOffset(afterLast, TimeSpan.Zero)),
            MustExist = ["select 1 from m having count(*) = 3"], KeepInstance = false, Root = root.Path,
        }, CancellationToken.None);
        Assert.True(restored.Passed, restored.Reason);
        Assert.Equal(second.Id, restored.BackupId);
        // A transaction committed past the damage is archived: the refusal says the archive stops reading before it.
        var xid = await RestoreOutcomeAsync(repository, RecoveryTarget.Xid(beyond), root.Path);
        Assert.False(xid.Passed);
        Assert.Contains($"does not appear in the WAL archived in {repository.WalDirectory} as far as it reads (timeline 1 stops "
            + "reading: ", xid.Text);
        // One committed before the window starts, and a time before it, are refused up front saying where it starts.
        var before = await RestoreOutcomeAsync(repository, RecoveryTarget.Xid(early), root.Path);
        Assert.False(before.Passed);
        Assert.StartsWith($"transaction {early} committed at ", before.Text);
        Assert.Contains($"before the recoverable window of {repository.Root} starts", before.Text);
        var between = await RestoreOutcomeAsync(repository, RecoveryTarget.Time(first.FinishedAt.AddMilliseconds(1)), root.Path);
        Assert.Contains($"it is before backup {second.Id} finished, where it starts", between.Text);
        // The window's end is a position a restore reaches.
        var atEnd = await PointInTimeRestore.RestoreAsync(repository, new PointInTimeOptions
        {
            Target = RecoveryTarget.Lsn(Postgres.Lsn.Parse(window.LatestLsn)),
            MustExist = ["select 1 from m having count(*) = 3"], KeepInstance = false, Root = root.Path,
        }, CancellationToken.None);
        Assert.True(atEnd.Passed, $"{atEnd.Target}: {atEnd.Reason}");

        // The second backup's own WAL damaged (its first record): it does not restore, and the first reaches the damage.
        var start = Postgres.Lsn.Parse(second.StartLsn);
        var segment = WalArchive.Segments(repository).Single(f => WalArchive.Position(f.Name) == start.Value / WalArchive.SegmentSize);
        FlipByte(segment.FullName, (long)(start.Value % WalArchive.SegmentSize) + 20);
        window = await PointInTimeRestore.WindowAsync(repository, CancellationToken.None);
        Assert.Equal(first.Id, window.BackupId);
        Assert.Contains(corrupt, window.Break);
        check = await BackupPolicy.CheckAsync(repository, null, new BackupPolicyOptions(), CancellationToken.None);
        Assert.Contains($"backup {second.Id} does not restore from this archive: its WAL replays to", string.Join("\n", check.Problems));

        // The first backup's own WAL damaged too: nothing restores, and the window says so instead of a span.
        FlipByte(Path.Combine(repository.WalDirectory, corrupt), 60);
        var firstStart = Postgres.Lsn.Parse(first.StartLsn);
        var firstSegment = WalArchive.Segments(repository)
            .Single(f => WalArchive.Position(f.Name) == firstStart.Value / WalArchive.SegmentSize);
        FlipByte(firstSegment.FullName, (long)(firstStart.Value % WalArchive.SegmentSize) + 20);
        var none = await Assert.ThrowsAsync<DrToolsException>(() => PointInTimeRestore.WindowAsync(repository, CancellationToken.None));
        Assert.StartsWith($"no backup in {repository.Root} restores from its archive: WAL replay from backup {first.Id} stops at",
            none.Message);
        var refused = await RestoreOutcomeAsync(repository, RecoveryTarget.Time(new DateTimeOffset(afterLast, TimeSpan.Zero)), root.Path);
        Assert.False(refused.Passed);
        Assert.StartsWith("no backup in", refused.Text);
        Assert.Equal(2, root.Sandboxes.Count); // the sandbox and the repository: no restored instance left
    }

    [Fact]
    public async Task A_damaged_page_header_anywhere_in_a_segment_names_that_segment_and_ends_the_window_where_PostgreSQL_replay_ends()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        var repository = await BackedUpAsync(sandbox, root);
        await Sql.ExecuteAsync(sandbox, "node0", "create table m (i int, pad text)");
        var segments = new List<string>();
        for (var i = 1; i <= 4; i++)
        {
            // About 40 kB of WAL a segment: its records run over several pages.
            await Sql.ExecuteAsync(sandbox, "node0", $"insert into m select {i}, repeat('x', 100) from generate_series(1, 300)");
            segments.Add(await ArchiveCurrentSegmentAsync(sandbox, repository, "node0"));
        }
        var corrupt = segments[2];
        var path = Path.Combine(repository.WalDirectory, corrupt);
        var start = WalArchive.Start(corrupt).Value;
        // Byte 2: the first page's info bits, byte 36: its page size (pg_waldump named neither place); 8192 and 8196: the
        // second page's magic and timeline (pg_waldump named the page by segment and offset, or let the timeline rise).
        foreach (var (offset, page) in new[] { (2L, 0UL), (36L, 0UL), (8192L, 0x2000UL), (8196L, 0x2000UL) })
        {
            FlipByte(path, offset);
            var check = await BackupPolicy.CheckAsync(repository, null, new BackupPolicyOptions(), CancellationToken.None);
            var window = await PointInTimeRestore.WindowAsync(repository, CancellationToken.None);
            // PostgreSQL's own replay ends where the window does: after the last record that reads whole before the page,
            // not at the page (a record running into it is not replayed).
            var restored = await PointInTimeRestore.RestoreAsync(repository, new PointInTimeOptions
            {
                Target = RecoveryTarget.EndOfArchive, KeepInstance = false, Root = root.Path,
            }, CancellationToken.None);
            // The window's end is a position a restore reaches (no record begins there: it is the end of the last one).
            var atEnd = offset != 8192 ? null : await PointInTimeRestore.RestoreAsync(repository, new PointInTimeOptions
            {
                Target = RecoveryTarget.Lsn(Postgres.Lsn.Parse(window.LatestLsn)), KeepInstance = false, Root = root.Path,
            }, CancellationToken.None);
            FlipByte(path, offset);
            Assert.False(restored.Passed, "the end of the archive is not reached");
            Assert.Equal(restored.ReplayedToLsn, window.LatestLsn);
            Assert.True(atEnd?.Passed ?? true, $"{atEnd?.Target}: {atEnd?.Reason}");
            Assert.True(Postgres.Lsn.Parse(window.LatestLsn) <= new Postgres.Lsn(start + page), window.LatestLsn);
            var problem = Assert.Single(check.Problems);
            Assert.Contains($"stops at {window.LatestLsn} in segment {corrupt} on timeline 1", problem);
            Assert.Contains($"at {new Postgres.Lsn(start + page)}", problem);
            Assert.Equal(corrupt, window.Replay!.Segment);
        }
        Assert.True((await BackupPolicy.CheckAsync(repository, null, new BackupPolicyOptions(), CancellationToken.None)).Passed);
    }

    [Fact]
    public async Task After_a_failover_a_lost_history_file_or_a_partial_segment_in_place_of_a_timeline_2_segment_is_named_and_never_PASS()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var repository = await BackedUpAsync(sandbox, root);
        // Rows enough that the segment's second page is read.
        await Sql.ExecuteAsync(sandbox, "node0", "create table m (i int); insert into m select generate_series(1, 1000)");
        var onOne = await ArchiveCurrentSegmentAsync(sandbox, repository, "node0");
        var flushed = await Sql.ScalarAsync<string>(sandbox, "node0", "select pg_current_wal_flush_lsn()::text");
        for (var i = 0; i < 500 && await Sql.ScalarAsync<bool>(sandbox, "node1", $"select pg_last_wal_replay_lsn() < '{flushed}'"); i++)
        {
            await Task.Delay(20);
        }
        await sandbox.Server("node0").StopAsync(Postgres.ShutdownMode.Fast, CancellationToken.None);
        await Sql.ExecuteAsync(sandbox, "node1", "select pg_promote(wait => false)");
        for (var i = 0; i < 500 && await Sql.ScalarAsync<bool>(sandbox, "node1", "select pg_is_in_recovery()"); i++) await Task.Delay(20);
        var firstOnTwo = await Sql.ScalarAsync<string>(sandbox, "node1",
            "insert into m values (2); select pg_walfile_name(pg_current_wal_lsn())");
        await ArchiveCurrentSegmentAsync(sandbox, repository, "node1");
        await Sql.ExecuteAsync(sandbox, "node1", "insert into m values (3)");
        var afterLast = await Sql.ScalarAsync<DateTime>(sandbox, "node1", "select clock_timestamp()");
        var target = RecoveryTarget.Time(new DateTimeOffset(afterLast, TimeSpan.Zero));
        await ArchiveCurrentSegmentAsync(sandbox, repository, "node1");
        var history = Path.Combine(repository.WalDirectory, "00000002.history");
        for (var i = 0; i < 500 && !File.Exists(history); i++) await Task.Delay(20);
        Assert.StartsWith("00000002", firstOnTwo);
        var intact = await PointInTimeRestore.WindowAsync(repository, CancellationToken.None);
        Assert.Null(intact.Break);
        Assert.Equal(2, intact.Replay!.Timeline);
        // A damaged segment of timeline 1 is named by its own file, not by the timeline-2 name pg_waldump read it under.
        FlipByte(Path.Combine(repository.WalDirectory, onOne), 8192);
        var damaged = Assert.Single((await BackupPolicy.CheckAsync(repository, null, new BackupPolicyOptions(), CancellationToken.None))
            .Problems);
        FlipByte(Path.Combine(repository.WalDirectory, onOne), 8192);
        Assert.Contains($"in log segment {onOne}, offset 8192", damaged);
        Assert.Contains($"segment {onOne} on timeline 1 is damaged", damaged);
        Assert.DoesNotContain("00000002" + onOne[8..], damaged);

        // A history file edited to an earlier switch point, in the same segment or the one before: the WAL of timeline 2
        // does not begin there (recovery would read timeline 1's segment where the history says timeline 2's).
        var said = await File.ReadAllTextAsync(history);
        var switchPoint = Postgres.Lsn.Parse(said.Split('\t')[1]);
        foreach (var earlier in new[] { switchPoint.Value - 0x100, WalArchive.Start(firstOnTwo).Value - 0x100 })
        {
            await File.WriteAllTextAsync(history, said.Replace(switchPoint.ToString(), new Postgres.Lsn(earlier).ToString()));
            var edited = await BackupPolicy.CheckAsync(repository, null, new BackupPolicyOptions(), CancellationToken.None);
            var lie = Assert.Single(edited.Problems);
            Assert.Contains($"timeline history file 00000002.history says timeline 2 begins at {new Postgres.Lsn(earlier)}, but ", lie);
            var cut = await PointInTimeRestore.WindowAsync(repository, CancellationToken.None);
            Assert.True(Postgres.Lsn.Parse(cut.LatestLsn).Value <= earlier, cut.ToString());
            Assert.False((await RestoreOutcomeAsync(repository, target, root.Path)).Passed);
        }
        await File.WriteAllTextAsync(history, said);
        Assert.True((await BackupPolicy.CheckAsync(repository, null, new BackupPolicyOptions(), CancellationToken.None)).Passed);

        // The timeline-1 .partial (same position: where the timelines part) in place of timeline 2's first segment.
        var partial = Assert.Single(Directory.GetFiles(repository.WalDirectory, "*.partial"));
        Assert.Equal(firstOnTwo, "00000002" + Path.GetFileName(partial)[8..24]);
        var replaced = Path.Combine(repository.WalDirectory, firstOnTwo);
        File.Move(replaced, replaced + ".saved");
        File.Copy(partial, replaced);
        var check = await BackupPolicy.CheckAsync(repository, null, new BackupPolicyOptions(), CancellationToken.None);
        Assert.False(check.Passed);
        Assert.Contains(check.Problems, p => p.Contains($"segment {firstOnTwo} on timeline 2 is damaged at", StringComparison.Ordinal));
        var window = await PointInTimeRestore.WindowAsync(repository, CancellationToken.None);
        AssertNamesTheBreak(await RestoreOutcomeAsync(repository, target, root.Path), firstOnTwo, 2, window.LatestLsn, target);
        File.Move(replaced + ".saved", replaced, overwrite: true);

        // Without timeline 2's history, recovery stays on timeline 1 and ends where it ends: the segments of timeline 2 are named.
        File.Delete(history);
        check = await BackupPolicy.CheckAsync(repository, null, new BackupPolicyOptions(), CancellationToken.None);
        Assert.False(check.Passed);
        var problem = Assert.Single(check.Problems);
        Assert.Contains($"archived from {firstOnTwo} (timeline 2): its history file 00000002.history is missing from the archive", problem);
        window = await PointInTimeRestore.WindowAsync(repository, CancellationToken.None);
        Assert.Equal(1, window.Replay!.Timeline);
        Assert.True(Postgres.Lsn.Parse(window.LatestLsn) <= WalArchive.Start(firstOnTwo));
        var outcome = await RestoreOutcomeAsync(repository, target, root.Path);
        AssertNamesTheBreak(outcome, window.Replay.Segment, 1, window.LatestLsn, target);
        Assert.Contains("00000002.history is missing", outcome.Text);
        Assert.Equal(2, root.Sandboxes.Count);
    }

    private static void FlipByte(string path, long offset)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = offset;
        var value = file.ReadByte();
        file.Position = offset;
        file.WriteByte((byte)(value ^ 0xFF));
    }

    /// <summary>A restore refused up front (its target past the WAL that replays) or one that ran and failed: never PASS.</summary>
    private static async Task<(bool Passed, string Text)> RestoreOutcomeAsync(
        BackupRepository repository, RecoveryTarget target, string root)
    {
        try
        {
            var options = new PointInTimeOptions { Target = target, KeepInstance = false, Root = root };
            var result = await PointInTimeRestore.RestoreAsync(repository, options, CancellationToken.None);
            return (result.Passed, $"{result.Target}: {result.Reason}");
        }
        catch (DrToolsException e)
        {
            return (false, e.Message);
        }
    }

    private static void AssertNamesTheBreak(
        (bool Passed, string Text) outcome, string segment, int timeline, string lsn, RecoveryTarget target)
    {
        Assert.False(outcome.Passed, outcome.Text);
        Assert.Contains(target.ToString(), outcome.Text);
        Assert.Contains(segment, outcome.Text);
        Assert.Contains($"timeline {timeline}", outcome.Text);
        Assert.Contains(lsn, outcome.Text);
    }

    private static Task ArchiveCurrentSegmentAsync(Sandbox sandbox, BackupRepository repository) =>
        ArchiveCurrentSegmentAsync(sandbox, repository, "node0");

    private static async Task<string> ArchiveCurrentSegmentAsync(Sandbox sandbox, BackupRepository repository, string member)
    {
        var segment = await Sql.ScalarAsync<string>(sandbox, member, "select pg_walfile_name(pg_current_wal_lsn())");
        await Sql.ExecuteAsync(sandbox, member, "select pg_switch_wal()");
        for (var i = 0; i < 500 && !File.Exists(Path.Combine(repository.WalDirectory, segment)); i++) await Task.Delay(20);
        Assert.True(File.Exists(Path.Combine(repository.WalDirectory, segment)), $"{segment} was not archived");
        return segment;
    }
}
