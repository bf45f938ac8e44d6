using System.Buffers.Binary;
using System.Globalization;
using DrTools.Core.Backups;
using DrTools.Core.Redis;

using Xunit.Abstractions;

namespace DrTools.Core.Tests;

/// <summary>An RDB and an AOF backup of one Redis server, in a repository each row copies before damaging it.</summary>
public sealed class RedisCorruptionBackups : IAsyncLifetime
{
    public TemporaryRoot Root { get; } = new();
    public string Repository => Path.Combine(Root.Path, "repo");
    public string RdbId { get; private set; } = "";
    public string AofId { get; private set; } = "";
    /// <summary>sess:1's absolute expiry (2100-01-01, in ms), as the RDB stores it after its 0xFC opcode.</summary>
    public const long SessionExpiry = 4102444800000;

    public async Task InitializeAsync()
    {
        await using var sandbox = await RedisTests.CreateAsync(Root, replicas: 0);
        // Short strings that are not numbers: stored as they are (no integer encoding, no LZF), so one can be damaged in place.
        await RedisTests.CliAsync(sandbox, "node0", "MSET", "acct:1", "balance-100", "acct:2", "balance-200", "user:7", "ada");
        await RedisTests.CliAsync(sandbox, "node0", "HSET", "cart:7", "apples", "3", "pears", "1");
        await RedisTests.CliAsync(sandbox, "node0", "RPUSH", "queue:jobs", "a", "b", "c");
        await RedisTests.CliAsync(sandbox, "node0", "SET", "sess:1", "open", "PXAT", SessionExpiry.ToString(CultureInfo.InvariantCulture));
        var repository = BackupRepository.Open(Repository, create: true);
        var cluster = (RedisCluster)sandbox.Cluster;
        RdbId = (await RedisBackups.CreateAsync(cluster, repository, RedisBackups.Rdb, CancellationToken.None)).Id;
        AofId = (await RedisBackups.CreateAsync(cluster, repository, RedisBackups.Aof, CancellationToken.None)).Id;
    }

    public Task DisposeAsync()
    {
        Root.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// The corruption matrix of Redis backups: every file kind of an RDB and an AOF backup damaged, with the backup's own
/// checksums (files.sha256, the RDB's CRC64) left as they were and rewritten to match; every row is a FAIL naming the file.
/// </summary>
public sealed class RedisCorruptionTests(RedisCorruptionBackups fixture, ITestOutputHelper output) : IClassFixture<RedisCorruptionBackups>
{
    public static TheoryData<string, string, string> Rows()
    {
        var rows = new TheoryData<string, string, string>();
        foreach (var (file, damage) in new[]
                 {
                     ("dump.rdb", "value flipped"), ("dump.rdb", "truncated"),
                     ("appendonlydir/*.base.rdb", "value flipped"), ("appendonlydir/*.base.rdb", "truncated"),
                     ("appendonlydir/*.manifest", "value flipped"), ("appendonlydir/*.manifest", "truncated"),
                 })
        {
            rows.Add(file, damage, MariaDbCorruptionTests.Kept);
            rows.Add(file, damage, MariaDbCorruptionTests.Rewritten);
        }
        return rows;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task A_damaged_backup_file_fails_verification_naming_it(string kind, string damage, string checksums)
    {
        using var work = new TemporaryRoot();
        var (repository, backup, directory) = BackupCorruption.CopyBackup(fixture.Repository, work,
            kind == "dump.rdb" ? fixture.RdbId : fixture.AofId);
        var path = Assert.Single(Directory.GetFiles(Path.Combine(directory, Path.GetDirectoryName(kind)!), Path.GetFileName(kind)));
        var file = Path.GetRelativePath(directory, path);
        var rewritten = checksums == MariaDbCorruptionTests.Rewritten;
        if (damage == "truncated") BackupCorruption.Truncate(path);
        else if (file.EndsWith(".manifest", StringComparison.Ordinal)) BackupCorruption.FlipValue(path, "type ", "b");
        else
        {
            var at = BackupCorruption.FlipValue(path, "", "balance-100");
            if (rewritten) BackupCorruption.RewriteRdbCrc(path, at, (byte)'b');
        }
        if (rewritten) BackupCorruption.RewriteDigest(directory, file);

        var options = new BackupVerificationOptions { Root = work.Path };
        var result = await RedisBackups.VerifyAsync(repository, backup, options, CancellationToken.None);

        output.WriteLine($"{file} {damage}, {checksums}: {result.Reason}");
        Assert.False(result.Passed, $"{file} {damage}, {checksums}: a wrong PASS");
        Assert.True(result.Reason!.Contains(file, StringComparison.Ordinal), $"{file} {damage}, {checksums}: {result.Reason}");
        Assert.Equal([Path.Combine(work.Path, "repo")], work.Sandboxes); // the verification's instance is gone
    }

    /// <summary>The manifest's line for the incr file relabelled as a second base (its digest rewritten): the incr file is named.</summary>
    [Fact]
    public async Task An_AOF_manifest_whose_incr_file_label_was_changed_fails_naming_the_incr_file()
    {
        using var work = new TemporaryRoot();
        var (repository, backup, directory) = BackupCorruption.CopyBackup(fixture.Repository, work, fixture.AofId);
        var manifest = Assert.Single(Directory.GetFiles(Path.Combine(directory, "appendonlydir"), "*.manifest"));
        var incr = Path.GetFileName(Assert.Single(Directory.GetFiles(Path.Combine(directory, "appendonlydir"), "*.incr.aof")));
        var lines = File.ReadAllLines(manifest);
        var line = Array.FindIndex(lines,
            l => l.StartsWith($"file {incr} ", StringComparison.Ordinal) && l.EndsWith(" type i", StringComparison.Ordinal));
        Assert.True(line >= 0, $"the manifest labels {incr} as incr");
        lines[line] = lines[line][..^1] + "b";
        File.WriteAllText(manifest, string.Join('\n', lines) + "\n");
        BackupCorruption.RewriteDigest(directory, Path.GetRelativePath(directory, manifest));

        var result = await RedisBackups.VerifyAsync(repository, backup, new BackupVerificationOptions { Root = work.Path },
            CancellationToken.None);

        output.WriteLine($"incr label changed: {result.Reason ?? "PASS"}");
        Assert.False(result.Passed, "an AOF whose manifest labels its incr file a base passed verification");
        Assert.Contains(incr, result.Reason, StringComparison.Ordinal);
        Assert.Equal([Path.Combine(work.Path, "repo")], work.Sandboxes);
    }

    [Fact]
    public async Task An_RDB_whose_key_expiry_was_changed_with_its_CRC_rewritten_fails_naming_the_key_pattern()
    {
        using var work = new TemporaryRoot();
        var (repository, backup, directory) = BackupCorruption.CopyBackup(fixture.Repository, work, fixture.RdbId);
        var path = Path.Combine(directory, "dump.rdb");
        var expiry = new byte[9];
        expiry[0] = 0xFC; // RDB_OPCODE_EXPIRETIME_MS, then the time in ms, little-endian
        BinaryPrimitives.WriteInt64LittleEndian(expiry.AsSpan(1), RedisCorruptionBackups.SessionExpiry);
        var at = File.ReadAllBytes(path).AsSpan().IndexOf(expiry);
        Assert.True(at > 0, "the RDB holds sess:1's expiry");
        BackupCorruption.FlipBytes(path, at + 4, 1); // a day or so later, still in the future
        BackupCorruption.RewriteRdbCrc(path, at + 4, expiry[4]);
        BackupCorruption.RewriteDigest(directory, "dump.rdb");

        var result = await RedisBackups.VerifyAsync(repository, backup, new BackupVerificationOptions { Root = work.Path },
            CancellationToken.None);

        output.WriteLine($"sess:1's expiry changed: {result.Reason ?? "PASS"}");
        Assert.False(result.Passed, "an RDB with a key's expiry changed passed verification");
        Assert.Equal("sess:*", Assert.Single(result.Integrity!.Differences).Table);
        Assert.Contains("sess:*: same 1 keys, different content", result.Reason, StringComparison.Ordinal);
        Assert.Equal([Path.Combine(work.Path, "repo")], work.Sandboxes);
    }
}
