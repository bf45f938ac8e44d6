using DrTools.Core.Backups;

namespace DrTools.Core.Tests;

/// <summary>Files several DrTools processes change at once, and files written on a disk that is full or read-only.</summary>
public sealed class SharedFileTests
{
    private static IEnumerable<string?> Entries(string folder) =>
        Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).Order();

    [Fact]
    public async Task Concurrent_changes_to_one_catalog_each_keep_their_entry()
    {
        using var root = new TemporaryRoot();
        var path = Path.Combine(root.Path, "repository");
        BackupRepository.Open(path, create: true);
        const int writers = 8, each = 25;
        // Each writer opens the repository itself, as a process of its own would.
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(() =>
        {
            var repository = BackupRepository.Open(path, create: false);
            for (var i = 0; i < each; i++) repository.Add(new RestorePointRecord($"w{w}-{i}", "0/1000000", 1, DateTimeOffset.UtcNow));
        })));

        var names = BackupRepository.Open(path, create: false).RestorePoints.Select(p => p.Name).ToHashSet();
        Assert.Equal(writers * each, names.Count);
        Assert.Equal(["backups", "catalog.json", "catalog.lock", "wal"], Entries(path));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_write_to_a_full_or_read_only_disk_is_one_line_naming_the_file_and_leaves_the_old_file_whole(bool readOnly)
    {
        using var root = new TemporaryRoot();
        using var disk = new Tmpfs(Path.Combine(root.Path, "disk"), "64k");
        var file = Path.Combine(disk.Path, "journal.json");
        AtomicFile.Write(file, "old");
        if (readOnly) disk.MakeReadOnly();
        else disk.Fill();

        var error = Assert.Throws<DrToolsException>(() => AtomicFile.Write(file, new string('x', 100_000)));

        Assert.Equal($"cannot write {file}: {(readOnly ? "the file system is read-only" : "no space left on the device")}.", error.Message);
        Assert.Equal("old", File.ReadAllText(file));
        Assert.Equal(readOnly ? ["journal.json"] : ["filler", "journal.json"], Entries(disk.Path));
    }

    [Fact]
    public void Files_written_together_on_a_disk_with_room_for_some_of_them_are_all_left_as_they_were()
    {
        using var root = new TemporaryRoot();
        using var disk = new Tmpfs(Path.Combine(root.Path, "disk"), "64k");
        var journal = Path.Combine(disk.Path, "journal.json");
        var report = Path.Combine(disk.Path, "report.html");
        AtomicFile.Write(journal, "old journal");
        AtomicFile.Write(report, "old report");
        // One page: the new journal fits, the new report (two pages) does not.
        disk.Fill(free: 4096);

        var error = Assert.Throws<DrToolsException>(() =>
            AtomicFile.WriteAll([(journal, "new journal"u8.ToArray()), (report, new byte[8000])]));

        Assert.Equal($"cannot write {report}: no space left on the device.", error.Message);
        Assert.Equal("old journal", File.ReadAllText(journal));
        Assert.Equal("old report", File.ReadAllText(report));
        Assert.Equal(["filler", "journal.json", "report.html"], Entries(disk.Path));
    }

    [Theory]
    [InlineData("pg_basebackup: error: could not write to file \"/r/b/1/base.tar.gz\": No space left on device | pg_basebackup: removing",
        null, "cannot write /r/b/1/base.tar.gz: no space left on the device")]
    [InlineData("pg_basebackup: error: could not create directory \"/r/b/1\": Read-only file system", null,
        "cannot make /r/b/1: the file system is read-only")]
    [InlineData("cp: error writing '/r/b/1/appendonlydir/a.aof': Disk quota exceeded", null,
        "cannot write /r/b/1/appendonlydir/a.aof: the disk quota is exceeded")]
    [InlineData("mariadb-dump: Got errno 28 on write", "/r/b/1/dump.sql", "cannot write /r/b/1/dump.sql: no space left on the device")]
    [InlineData("mariadb-dump: Got errno 28 on write", null, null)]
    [InlineData("[ERROR] InnoDB: preallocating 12582912 bytes for file ./ibdata1 failed with error 28", "/s/node0",
        "cannot write /s/node0: no space left on the device")]
    [InlineData("FATAL:  could not write lock file \"postmaster.pid\": No space left on device", "/s/node0",
        "cannot write /s/node0: no space left on the device")]
    [InlineData("pg_basebackup: error: connection to server failed: Connection refused", "/r/b/1", null)]
    public void A_tools_words_for_a_full_or_read_only_disk_read_as_DrTools_own(string output, string? writing, string? expected) =>
        Assert.Equal(expected, AtomicFile.DiskFailureIn(output, writing));
}
