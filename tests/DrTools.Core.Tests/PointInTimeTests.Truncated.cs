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
        var repository = BackupRepository.Open(Path.Combine(root.Path, "repository"), create: true);
        await DbBackups.ConfigureArchivingAsync(sandbox.Target, repository, CancellationToken.None);
        await DbBackups.CreateAsync(sandbox.Target, repository, new BackupOptions { RecordReference = false }, CancellationToken.None);
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
        Assert.Equal(truncated, window.Replay!.Segment);
        Assert.True(Postgres.Lsn.Parse(window.LatestLsn) <= WalArchive.Start(truncated), window.LatestLsn);
        Assert.True(atEnd.Passed, $"{atEnd.Target}: {atEnd.Reason}");
        Assert.Equal(window.LatestLsn, atEnd.ReplayedToLsn);
        AssertNamesTheBreak(toTheEnd, truncated, 1, window.LatestLsn, RecoveryTarget.EndOfArchive);
        Assert.DoesNotContain("wrong size", toTheEnd.Text);
        Assert.Equal(2, root.Sandboxes.Count);
    }
}
