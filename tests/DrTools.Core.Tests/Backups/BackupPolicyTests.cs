using DrTools.Core.Backups;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

public sealed class BackupPolicyTests
{
    private static BackupRecord Backup(string finished) =>
        new($"b-{finished.Replace(' ', 'T')}", "db", "drtools", DateTimeOffset.Parse(finished + "Z").AddMinutes(-5), DateTimeOffset.Parse(finished + "Z"), "0/2000028", "0/2000100", 1, 1000, "none", 15);

    [Fact]
    public void Grandfather_father_son_retention_expires_exactly_the_backups_no_rule_keeps()
    {
        var backups = new[]
        {
            "2026-11-22 10:00", "2026-11-22 02:00", "2026-11-21 03:00", "2026-11-20 03:00", "2026-11-19 03:00",
            "2026-11-12 03:00", "2026-11-05 03:00", "2026-10-28 03:00", "2026-10-15 03:00", "2026-09-10 03:00", "2026-08-01 03:00",
        }.Select(Backup).ToList();

        var plan = BackupPolicy.PlanRetention(backups, new RetentionPolicy(Daily: 3, Weekly: 2, Monthly: 3));

        Assert.Equal(["b-2026-11-22T02:00", "b-2026-11-19T03:00", "b-2026-11-05T03:00", "b-2026-10-15T03:00", "b-2026-08-01T03:00"], plan.Where(d => d.Expired).Select(d => d.BackupId));
        Assert.Equal("kept: daily 2026-11-22, weekly 2026-W47, monthly 2026-11, the newest backup", plan.Single(d => d.BackupId == "b-2026-11-22T10:00").Reason);
        Assert.Equal("kept: weekly 2026-W46", plan.Single(d => d.BackupId == "b-2026-11-12T03:00").Reason);
        Assert.Equal("kept: monthly 2026-09", plan.Single(d => d.BackupId == "b-2026-09-10T03:00").Reason);
    }

    [Fact]
    public void Removing_an_expired_backup_deletes_it_from_disk_and_catalog_and_prunes_only_WAL_no_backup_needs()
    {
        using var root = new TemporaryRoot();
        var repository = BackupRepository.Open(Path.Combine(root.Path, "repository"), create: true);
        var old = Backup("2026-11-01 03:00") with { StartLsn = "0/1000028" };
        var kept = Backup("2026-11-20 03:00") with { StartLsn = "0/3000028" };
        repository.Add(old);
        repository.Add(kept);
        Directory.CreateDirectory(repository.BackupDirectory(old.Id));
        foreach (var name in new[] { "000000010000000000000001", "000000010000000000000002", "000000010000000000000003", "00000002.history" })
        {
            File.WriteAllText(Path.Combine(repository.WalDirectory, name), "");
        }

        BackupPolicy.Remove(repository, old.Id);

        Assert.Equal([kept.Id], repository.Backups.Select(b => b.Id));
        Assert.False(Directory.Exists(repository.BackupDirectory(old.Id)));
        Assert.Equal(["000000010000000000000003", "00000002.history"], Directory.GetFiles(repository.WalDirectory).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task A_missing_WAL_segment_is_named_by_the_policy_check_and_a_restore_past_it_is_refused()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path }, CancellationToken.None);
        var repository = BackupRepository.Open(Path.Combine(root.Path, "repository"), create: true);
        await DbBackups.ConfigureArchivingAsync(sandbox.Target, repository, CancellationToken.None);
        await DbBackups.CreateAsync(sandbox.Target, repository, new BackupOptions { RecordReference = false }, CancellationToken.None);
        var segments = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            segments.Add(await Sql.ScalarAsync<string>(sandbox, "node0", $"create table t{i} as select generate_series(1, 1000) g; select pg_walfile_name(pg_current_wal_lsn())"));
            await Sql.ExecuteAsync(sandbox, "node0", "select pg_switch_wal()");
        }
        for (var i = 0; i < 500 && !File.Exists(Path.Combine(repository.WalDirectory, segments[^1])); i++) await Task.Delay(20);
        var late = Postgres.Lsn.Parse(await Sql.ScalarAsync<string>(sandbox, "node0", "select pg_current_wal_lsn()::text"));

        var healthy = await BackupPolicy.CheckAsync(repository, sandbox.Target, new BackupPolicyOptions { MaxBackupAge = TimeSpan.FromHours(1) }, CancellationToken.None);
        Assert.True(healthy.Passed, string.Join("; ", healthy.Problems));
        Assert.True(healthy.LatestBackupAge!.Met);
        Assert.False(healthy.Archiver!.Failing);

        File.Delete(Path.Combine(repository.WalDirectory, segments[1]));
        var broken = await BackupPolicy.CheckAsync(repository, null, new BackupPolicyOptions(), CancellationToken.None);
        Assert.False(broken.Passed);
        Assert.Equal([segments[1]], broken.MissingWalSegments);
        Assert.StartsWith($"WAL segment {segments[1]} is missing from {repository.WalDirectory}", Assert.Single(broken.Problems));

        var refused = await Assert.ThrowsAsync<DrToolsException>(() => PointInTimeRestore.RestoreAsync(repository, new PointInTimeOptions { Target = Backups.RecoveryTarget.Lsn(late), Root = root.Path }, CancellationToken.None));
        Assert.Contains($"where WAL segment {segments[1]} is missing from the archive", refused.Message);
        Assert.EndsWith("Nothing was restored.", refused.Message);
    }
}
