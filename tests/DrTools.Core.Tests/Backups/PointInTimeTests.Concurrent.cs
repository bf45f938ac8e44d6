using System.Text.Json.Nodes;
using DrTools.Core.Backups;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

public sealed partial class PointInTimeTests
{
    /// <summary>
    /// Of two backups taken at once, the one that ends first in WAL can finish last by the clock (its reference read waited
    /// for the other's). The window began at the end of the one that finished first, and an LSN between the two ends was
    /// refused though PostgreSQL restores it from the other.
    /// </summary>
    [Fact]
    public async Task The_window_starts_at_the_backup_that_ends_first_in_WAL_whichever_finished_first_by_the_clock()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        var repository = await BackedUpAsync(sandbox, root);
        var first = Assert.Single(repository.Backups);
        await Sql.ExecuteAsync(sandbox, "node0", "create table ledger (id int); insert into ledger select generate_series(1, 100)");
        var between = Postgres.Lsn.Parse(await Sql.ScalarAsync<string>(sandbox, "node0", "select pg_current_wal_lsn()::text"));
        await Sql.ExecuteAsync(sandbox, "node0", "insert into ledger select generate_series(101, 200)");
        var second = await DbBackups.CreateAsync(sandbox.Target, repository, new BackupOptions { RecordReference = false },
            CancellationToken.None);
        await ArchiveCurrentSegmentAsync(sandbox, repository);
        // The catalog as backups taken at once leave it: the first in WAL finished a second after the second.
        var catalogFile = Path.Combine(repository.Root, "catalog.json");
        var catalog = JsonNode.Parse(await File.ReadAllTextAsync(catalogFile))!;
        catalog["backups"]!.AsArray().Single(b => (string)b!["id"]! == first.Id)!["finishedAt"] = second.FinishedAt.AddSeconds(1);
        await File.WriteAllTextAsync(catalogFile, catalog.ToJsonString());

        var window = await PointInTimeRestore.WindowAsync(repository, CancellationToken.None);
        var restore = await PointInTimeRestore.RestoreAsync(repository, new PointInTimeOptions
        {
            Target = RecoveryTarget.Lsn(between), MustExist = ["select 1 from ledger having count(*) = 100"], KeepInstance = false,
            Root = root.Path,
        }, CancellationToken.None);

        Assert.Equal(first.EndLsn, window.EarliestLsn);
        Assert.Equal(second.FinishedAt, window.EarliestTime);
        Assert.True(restore.Passed, restore.Reason);
    }
}
