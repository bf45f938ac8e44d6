using DrTools.Core.Backups;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

public sealed class BackupTests
{
    private static async Task<(Sandbox Sandbox, BackupRepository Repository)> ArchivedSandboxAsync(TemporaryRoot root, int standbys)
    {
        var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = standbys, Root = root.Path }, CancellationToken.None);
        var repository = BackupRepository.Open(Path.Combine(root.Path, "repository"), create: true);
        await DbBackups.ConfigureArchivingAsync(sandbox.Target, repository, CancellationToken.None);
        return (sandbox, repository);
    }

    [Fact]
    public async Task A_backup_taken_under_pgbench_load_restores_and_verifies_PASS_with_the_reference_counts()
    {
        using var root = new TemporaryRoot();
        var (sandbox, repository) = await ArchivedSandboxAsync(root, standbys: 1);
        await using (sandbox)
        {
            await PgBench.InitializeAsync(sandbox);
            using var load = PgBench.StartLoad(sandbox, TimeSpan.FromSeconds(60));
            await Task.Delay(1000);
            var backup = await DbBackups.CreateAsync(sandbox.Target, repository, new BackupOptions(), CancellationToken.None);
            await Task.Delay(500);
            load.Kill();

            Assert.Equal("server-gzip", backup.Compression);
            Assert.StartsWith("read on standby node1", backup.ReferenceMethod);
            Assert.True(Lsn(backup.ReferenceLsn!) >= Lsn(backup.EndLsn));
            var history = backup.Reference!.Tables.Single(t => t.Table == "public.pgbench_history").Rows;
            Assert.True(history > 0, "pgbench wrote nothing before the reference point");
            Assert.Equal(backup.Id, Assert.Single(repository.Backups).Id);

            var result = await BackupVerifier.VerifyAsync(repository, new BackupVerificationOptions { Root = root.Path, RtoTarget = TimeSpan.FromMinutes(5) }, CancellationToken.None);

            Assert.True(result.Passed, result.Reason);
            Assert.True(result.Integrity!.Passed);
            Assert.Equal(history, result.Integrity.Current.Tables.Single(t => t.Table == "public.pgbench_history").Rows);
            Assert.Equal($"lsn {backup.ReferenceLsn} (exclusive)", result.RecoveryTarget);
            Assert.True(result.RestoreSeconds.Measured > 0 && result.RecoverySeconds!.Measured > 0 && result.VerificationSeconds!.Measured > 0);
            Assert.True(result.TotalSeconds.Met);
        }
        Assert.Empty(ProcessTable.FindByWorkingDirectory(root.Path));
        Assert.Equal([Path.Combine(root.Path, "repository")], root.Sandboxes);
    }

    [Fact]
    public async Task A_backup_of_an_idle_cluster_verifies_although_its_reference_point_is_on_a_segment_boundary()
    {
        using var root = new TemporaryRoot();
        var (sandbox, repository) = await ArchivedSandboxAsync(root, standbys: 1);
        await using (sandbox)
        {
            // Nothing is written after the backup: pg_basebackup's closing segment switch leaves the standby, and so the
            // reference point, at the very start of a segment.
            var backup = await DbBackups.CreateAsync(sandbox.Target, repository, new BackupOptions(), CancellationToken.None);
            Assert.Equal(0UL, Lsn(backup.ReferenceLsn!).Value % (ulong)WalArchive.SegmentSize);

            var result = await BackupVerifier.VerifyAsync(repository, new BackupVerificationOptions { Root = root.Path }, CancellationToken.None);
            Assert.True(result.Passed, result.Reason);
        }
    }

    [Fact]
    public async Task A_byte_flipped_in_a_data_file_fails_naming_the_file_and_a_truncated_backup_fails()
    {
        using var root = new TemporaryRoot();
        var (sandbox, repository) = await ArchivedSandboxAsync(root, standbys: 0);
        await using (sandbox)
        {
            await Sql.ExecuteAsync(sandbox, "node0", "create table ledger as select g as id, md5(g::text) as memo from generate_series(1, 20000) g; checkpoint");
            var file = await Sql.ScalarAsync<string>(sandbox, "node0", "select pg_relation_filepath('ledger')");
            var plain = await DbBackups.CreateAsync(sandbox.Target, repository, new BackupOptions { Compression = BackupCompression.None }, CancellationToken.None);
            var compressed = await DbBackups.CreateAsync(sandbox.Target, repository, new BackupOptions(), CancellationToken.None);

            FlipByteOf(Path.Combine(repository.BackupDirectory(plain.Id), "base.tar"), file);
            var flipped = await BackupVerifier.VerifyAsync(repository, new BackupVerificationOptions { BackupId = plain.Id, Root = root.Path }, CancellationToken.None);
            Assert.False(flipped.Passed);
            Assert.StartsWith("pg_verifybackup: pg_verifybackup of backup", flipped.Reason);
            Assert.True(flipped.Reason!.Contains($"\"{file}\"", StringComparison.Ordinal), flipped.Reason);

            var archive = Path.Combine(repository.BackupDirectory(compressed.Id), "base.tar.gz");
            await using (var stream = File.OpenWrite(archive)) stream.SetLength(stream.Length / 2);
            var truncated = await BackupVerifier.VerifyAsync(repository, new BackupVerificationOptions { BackupId = compressed.Id, Root = root.Path }, CancellationToken.None);
            Assert.False(truncated.Passed);
            Assert.StartsWith("restore: extracting base.tar.gz failed", truncated.Reason);
        }
        Assert.Empty(ProcessTable.FindByWorkingDirectory(root.Path));
        Assert.Equal([Path.Combine(root.Path, "repository")], root.Sandboxes);
    }

    [Fact]
    public async Task A_corrupt_table_page_behind_valid_manifest_checksums_is_a_FAIL_naming_the_phase_and_file()
    {
        using var root = new TemporaryRoot();
        var (sandbox, repository) = await ArchivedSandboxAsync(root, standbys: 0);
        await using (sandbox)
        {
            await Sql.ExecuteAsync(sandbox, "node0", "create table ledger as select g as id, md5(g::text) as memo from generate_series(1, 20000) g; checkpoint");
            var file = await Sql.ScalarAsync<string>(sandbox, "node0", "select pg_relation_filepath('ledger')");
            var backup = await DbBackups.CreateAsync(sandbox.Target, repository, new BackupOptions { Compression = BackupCompression.None }, CancellationToken.None);
            var directory = repository.BackupDirectory(backup.Id);
            var content = CorruptPage(Path.Combine(directory, "base.tar"), file, block: 3);
            RewriteManifestChecksum(Path.Combine(directory, "backup_manifest"), file, content);

            var result = await BackupVerifier.VerifyAsync(repository, new BackupVerificationOptions { BackupId = backup.Id, Root = root.Path }, CancellationToken.None);
            Assert.False(result.Passed);
            Assert.True(result.Reason!.StartsWith("integrity: ", StringComparison.Ordinal) || result.Reason.StartsWith("pg_amcheck: ", StringComparison.Ordinal), result.Reason);
            Assert.Contains("block 3", result.Reason);
            Assert.Contains(file, result.Reason);
            // The phases that ran are timed.
            Assert.NotNull(result.RecoverySeconds);
            Assert.True(result.VerificationSeconds!.Measured > 0);
        }
        Assert.Equal([Path.Combine(root.Path, "repository")], root.Sandboxes);
    }

    /// <summary>Overwrites the middle of one 8 kB page of a file in an uncompressed archive (its header stays sane, its checksum no longer matches); returns the file's new content.</summary>
    private static byte[] CorruptPage(string tar, string member, int block)
    {
        using var file = File.Open(tar, FileMode.Open, FileAccess.ReadWrite);
        var size = SeekToMember(file, member, tar);
        var start = file.Position;
        file.Position = start + block * 8192L + 4096;
        file.Write(Enumerable.Repeat((byte)0x5A, 64).ToArray());
        var content = new byte[size];
        file.Position = start;
        file.ReadExactly(content);
        return content;
    }

    /// <summary>Makes the manifest agree with the damaged file: its SHA-256, then the manifest's own checksum over everything before that line.</summary>
    private static void RewriteManifestChecksum(string manifest, string member, byte[] content)
    {
        var text = File.ReadAllText(manifest);
        var digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content));
        text = System.Text.RegularExpressions.Regex.Replace(text, $@"(""Path"": ""{System.Text.RegularExpressions.Regex.Escape(member)}"".*?""Checksum"": "")[0-9a-f]+", m => m.Groups[1].Value + digest);
        var checksumLine = text.IndexOf("\"Manifest-Checksum\"", StringComparison.Ordinal);
        var manifestDigest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text[..checksumLine])));
        text = System.Text.RegularExpressions.Regex.Replace(text, @"(""Manifest-Checksum"": "")[0-9a-f]+", m => m.Groups[1].Value + manifestDigest);
        File.WriteAllText(manifest, text);
    }

    private static Postgres.Lsn Lsn(string text) => Postgres.Lsn.Parse(text);

    /// <summary>Flips one byte in the middle of a file's data inside an uncompressed (ustar) archive.</summary>
    private static void FlipByteOf(string tar, string member)
    {
        using var file = File.Open(tar, FileMode.Open, FileAccess.ReadWrite);
        var size = SeekToMember(file, member, tar);
        file.Position += size / 2;
        var value = file.ReadByte();
        file.Position -= 1;
        file.WriteByte((byte)(value ^ 0xFF));
    }

    /// <summary>Walks the archive's 512-byte headers to the start of a member's data; returns its size.</summary>
    private static long SeekToMember(FileStream file, string member, string tar)
    {
        var header = new byte[512];
        while (file.Read(header, 0, 512) == 512 && header[0] != 0)
        {
            var name = System.Text.Encoding.ASCII.GetString(header, 0, 100).TrimEnd('\0');
            var size = Convert.ToInt64(System.Text.Encoding.ASCII.GetString(header, 124, 12).Trim('\0', ' '), 8);
            if (name == member) return size;
            file.Position += (size + 511) / 512 * 512;
        }
        Assert.Fail($"{member} is not in {tar}");
        return 0;
    }
}
