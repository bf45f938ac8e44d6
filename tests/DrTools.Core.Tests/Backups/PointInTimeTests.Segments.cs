using DrTools.Core.Backups;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

public sealed partial class PointInTimeTests
{
    /// <summary>
    /// A segment cut short in the archive (a copy that ran out of disk): the window ends at its start, yet a restore to
    /// that end failed with PostgreSQL's FATAL ("archive file … has wrong size") instead of stopping there, as it does at
    /// a damaged one.
    /// </summary>
    [Fact]
    public async Task A_segment_truncated_in_the_archive_ends_the_window_at_its_start_and_a_restore_to_there_reaches_it()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        var repository = await BackedUpAsync(sandbox, root);
        await Sql.ExecuteAsync(sandbox, "node0", "create table m (i int)");
        var segments = new List<string>();
        for (var i = 1; i <= 4; i++)
        {
            await Sql.ExecuteAsync(sandbox, "node0", $"insert into m values ({i})");
            segments.Add(await ArchiveCurrentSegmentAsync(sandbox, repository, "node0"));
        }
        var truncated = segments[2];
        using (var file = new FileStream(Path.Combine(repository.WalDirectory, truncated), FileMode.Open)) file.SetLength(8192);

        var check = await BackupPolicy.CheckAsync(repository, null, new BackupPolicyOptions(), CancellationToken.None);
        var window = await PointInTimeRestore.WindowAsync(repository, CancellationToken.None);
        var atEnd = await PointInTimeRestore.RestoreAsync(repository, new PointInTimeOptions
        {
            Target = RecoveryTarget.Lsn(Postgres.Lsn.Parse(window.LatestLsn)), MustExist = ["select 1 from m having count(*) = 2"],
            KeepInstance = false, Root = root.Path,
        }, CancellationToken.None);
        var toTheEnd = await RestoreOutcomeAsync(repository, RecoveryTarget.EndOfArchive, root.Path);

        Assert.Contains(check.Problems, p => p.Contains($"segment {truncated} on timeline 1", StringComparison.Ordinal));
        Assert.Contains($"WAL segment {truncated} in {repository.WalDirectory} is cut short: 8192 bytes of a segment's 16777216",
            check.Problems);
        Assert.Equal(truncated, window.Replay!.Segment);
        Assert.True(Postgres.Lsn.Parse(window.LatestLsn) <= WalArchive.Start(truncated), window.LatestLsn);
        Assert.True(atEnd.Passed, $"{atEnd.Target}: {atEnd.Reason}");
        Assert.Equal(window.LatestLsn, atEnd.ReplayedToLsn);
        AssertNamesTheBreak(toTheEnd, truncated, 1, window.LatestLsn, RecoveryTarget.EndOfArchive);
        Assert.DoesNotContain("wrong size", toTheEnd.Text);
        Assert.Equal(2, root.Sandboxes.Count);
    }

    [Fact]
    public async Task A_segment_from_another_cluster_in_the_archive_is_named_by_the_check_and_the_restore()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        await using var other = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        var repository = await BackedUpAsync(sandbox, root);
        await Sql.ExecuteAsync(sandbox, "node0", "create table m (i int)");
        var segments = new List<string>();
        for (var i = 1; i <= 3; i++)
        {
            await Sql.ExecuteAsync(sandbox, "node0", $"insert into m values ({i})");
            segments.Add(await ArchiveCurrentSegmentAsync(sandbox, repository, "node0"));
        }
        var late = Postgres.Lsn.Parse(await Sql.ScalarAsync<string>(sandbox, "node0", "select pg_current_wal_lsn()::text"));
        await ArchiveCurrentSegmentAsync(sandbox, repository, "node0");

        // The other cluster writes until it has a segment of the same name (the same position, its own system identifier).
        var foreign = segments[1];
        var copy = Path.Combine(other.ArchiveDirectory, foreign);
        for (var i = 0; i < 50 && !File.Exists(copy); i++)
        {
            var written = await Sql.ScalarAsync<string>(other, "node0",
                $"create table t{i} (i int); select pg_walfile_name(pg_current_wal_lsn())");
            await Sql.ExecuteAsync(other, "node0", "select pg_switch_wal()");
            if (written == foreign) for (var wait = 0; wait < 500 && !File.Exists(copy); wait++) await Task.Delay(20);
        }
        Assert.True(File.Exists(copy), $"the other cluster did not archive a {foreign}");
        File.Copy(copy, Path.Combine(repository.WalDirectory, foreign), overwrite: true);

        var check = await BackupPolicy.CheckAsync(repository, null, new BackupPolicyOptions(), CancellationToken.None);
        Assert.False(check.Passed);
        Assert.Contains(check.Problems, p => p.Contains($"segment {foreign} on timeline 1", StringComparison.Ordinal)
            && p.Contains("it is from another database system", StringComparison.Ordinal));
        var window = await PointInTimeRestore.WindowAsync(repository, CancellationToken.None);
        Assert.Equal(WalArchive.Start(foreign).ToString(), window.LatestLsn);
        var target = RecoveryTarget.Lsn(late);
        AssertNamesTheBreak(await RestoreOutcomeAsync(repository, target, root.Path), foreign, 1, window.LatestLsn, target);
        Assert.Equal(3, root.Sandboxes.Count);
    }

    /// <summary>A repository in the sandbox's folder that archives its WAL, with one backup taken (no reference).</summary>
    private static async Task<BackupRepository> BackedUpAsync(Sandbox sandbox, TemporaryRoot root)
    {
        var repository = BackupRepository.Open(Path.Combine(root.Path, "repository"), create: true);
        await DbBackups.ConfigureArchivingAsync(sandbox.Target, repository, CancellationToken.None);
        await DbBackups.CreateAsync(sandbox.Target, repository, new BackupOptions { RecordReference = false }, CancellationToken.None);
        return repository;
    }
}
