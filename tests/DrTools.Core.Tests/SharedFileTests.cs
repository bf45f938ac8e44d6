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
}
