using DrTools.Core.Backups;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;
using Npgsql;

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

    /// <summary>
    /// pg_basebackup reserves WAL only once its stream starts, after its start checkpoint: a checkpoint in between (another
    /// backup's; here a loop of them) removed the start segment ("requested WAL segment … has already been removed").
    /// </summary>
    [Fact]
    public async Task Backups_taken_while_checkpoints_and_segment_switches_run_keep_their_start_segment()
    {
        using var root = new TemporaryRoot();
        var (sandbox, repository) = await ArchivedSandboxAsync(root, standbys: 0);
        await using (sandbox)
        {
            var primary = sandbox.Target.Member("node0");
            await primary.ExecuteAsync("create table churn (n int)", CancellationToken.None);
            using var stop = new CancellationTokenSource();
            var churn = Task.Run(async () =>
            {
                await using var connection = await primary.OpenAsync(CancellationToken.None);
                while (!stop.IsCancellationRequested)
                {
                    await using var command = new NpgsqlCommand("insert into churn values (1); select pg_switch_wal(); checkpoint",
                        connection);
                    await command.ExecuteNonQueryAsync();
                }
            });
            try
            {
                for (var i = 0; i < 6; i++)
                {
                    await DbBackups.CreateAsync(sandbox.Target, repository,
                        new BackupOptions { RecordReference = false, Compression = BackupCompression.None }, CancellationToken.None);
                }
            }
            finally
            {
                await stop.CancelAsync();
                await churn;
            }
            Assert.Equal(6, repository.Backups.Count);
            Assert.Equal(0L, await primary.QueryAsync("select count(*) from pg_replication_slots", r => r.GetInt64(0),
                CancellationToken.None));
        }
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

    /// <summary>
    /// An unlogged table is not replicated (a standby cannot read it) and a restore has it empty: the reference read on
    /// the standby stopped every backup with "cannot access temporary or unlogged relations during recovery".
    /// </summary>
    [Fact]
    public async Task Unlogged_tables_are_left_out_of_the_reference_and_the_backup_verifies()
    {
        using var root = new TemporaryRoot();
        var (sandbox, repository) = await ArchivedSandboxAsync(root, standbys: 1);
        await using (sandbox)
        {
            await Sql.ExecuteAsync(sandbox, "node0", "create unlogged table scratch (i int); insert into scratch values (1); "
                + "create table kept (i int); insert into kept values (1)");
            var backup = await DbBackups.CreateAsync(sandbox.Target, repository, new BackupOptions(), CancellationToken.None);
            var tables = backup.Reference!.Tables.Select(t => t.Table).ToList();
            Assert.Contains("public.kept", tables);
            Assert.DoesNotContain("public.scratch", tables);

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

    [Fact]
    public async Task A_value_changed_in_a_second_database_with_page_checksum_and_manifest_recomputed_fails_naming_that_table()
    {
        using var root = new TemporaryRoot();
        var (sandbox, repository) = await ArchivedSandboxAsync(root, standbys: 0);
        await using (sandbox)
        {
            await Sql.ExecuteAsync(sandbox, "node0", "create database app");
            var app = new Npgsql.NpgsqlConnectionStringBuilder(sandbox.ConnectionString(sandbox.Members[0])) { Database = "app" }
                .ConnectionString;
            await Sql.ScalarOnAsync<object>(app, "create table accounts (id int primary key, owner text not null); "
                + "insert into accounts select g, 'owner-' || lpad(g::text, 6, '0') from generate_series(1, 100) g; select 1");
            // Hint bits set and the table vacuumed before the checkpoint: nothing after the backup rewrites its pages.
            await Sql.ScalarOnAsync<object>(app, "vacuum accounts");
            var file = await Sql.ScalarOnAsync<string>(app, "checkpoint; select pg_relation_filepath('accounts')");
            var plain = new BackupOptions { Compression = BackupCompression.None };
            var backup = await DbBackups.CreateAsync(sandbox.Target, repository, plain, CancellationToken.None);
            Assert.Contains(backup.Reference!.OtherDatabases!, d => d.Database == "app" && d.Tables.Any(t => t.Table == "public.accounts"));

            var directory = repository.BackupDirectory(backup.Id);
            var content = ReplaceInPage(Path.Combine(directory, "base.tar"), file, "owner-000042"u8.ToArray(), "owner-999942"u8.ToArray());
            RewriteManifestChecksum(Path.Combine(directory, "backup_manifest"), file, content);

            var options = new BackupVerificationOptions { BackupId = backup.Id, Root = root.Path };
            var result = await BackupVerifier.VerifyAsync(repository, options, CancellationToken.None);
            Assert.False(result.Passed);
            Assert.StartsWith("integrity: ", result.Reason);
            Assert.Contains("app.public.accounts: same 100 rows, different content", result.Reason);
        }
        Assert.Equal([Path.Combine(root.Path, "repository")], root.Sandboxes);
    }

    [Fact]
    public async Task A_corrupt_visibility_map_page_behind_a_rewritten_manifest_fails_naming_the_file()
    {
        using var root = new TemporaryRoot();
        var (sandbox, repository) = await ArchivedSandboxAsync(root, standbys: 0);
        await using (sandbox)
        {
            await Sql.ExecuteAsync(sandbox, "node0",
                "create table ledger as select g as id, md5(g::text) as memo from generate_series(1, 20000) g");
            await Sql.ExecuteAsync(sandbox, "node0", "vacuum ledger");
            var file = await Sql.ScalarAsync<string>(sandbox, "node0", "checkpoint; select pg_relation_filepath('ledger') || '_vm'");
            var plain = new BackupOptions { Compression = BackupCompression.None };
            var backup = await DbBackups.CreateAsync(sandbox.Target, repository, plain, CancellationToken.None);
            var directory = repository.BackupDirectory(backup.Id);
            var content = CorruptPage(Path.Combine(directory, "base.tar"), file, block: 0);
            RewriteManifestChecksum(Path.Combine(directory, "backup_manifest"), file, content);

            var options = new BackupVerificationOptions { BackupId = backup.Id, Root = root.Path };
            var result = await BackupVerifier.VerifyAsync(repository, options, CancellationToken.None);
            Assert.False(result.Passed);
            Assert.True(result.Reason!.Contains(file, StringComparison.Ordinal), result.Reason);
        }
        Assert.Equal([Path.Combine(root.Path, "repository")], root.Sandboxes);
    }

    /// <summary>
    /// Replaces bytes inside one page of a file in an uncompressed archive and sets that page's checksum to match, as
    /// someone editing a value with care would; returns the file's new content.
    /// </summary>
    private static byte[] ReplaceInPage(string tar, string member, byte[] find, byte[] replacement)
    {
        using var file = File.Open(tar, FileMode.Open, FileAccess.ReadWrite);
        var content = new byte[SeekToMember(file, member, tar)];
        var start = file.Position;
        file.ReadExactly(content);
        var at = content.AsSpan().IndexOf(find);
        Assert.True(at >= 0, $"{member} does not hold the value to change");
        replacement.CopyTo(content, at);
        var block = at / 8192;
        var page = content.AsSpan(block * 8192, 8192);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(page[8..], PageChecksum(page, (uint)block));
        file.Position = start;
        file.Write(content);
        return content;
    }

    /// <summary>PostgreSQL's data page checksum (storage/checksum_impl.h): 32 FNV-1a-like lanes, the checksum field as 0.</summary>
    private static ushort PageChecksum(ReadOnlySpan<byte> page, uint block)
    {
        uint[] sums =
        [
            0x5B1F36E9, 0xB8525960, 0x02AB50AA, 0x1DE66D2A, 0x79FF467A, 0x9BB9F8A3, 0x217E7CD2, 0x83E13D2C,
            0xF8D4474F, 0xE39EB970, 0x42C6AE16, 0x993216FA, 0x7B093B5D, 0x98DAFF3C, 0xF718902A, 0x0B1C9CDB,
            0xE58F764B, 0x187636BC, 0x5D7B3BB1, 0xE73DE7DE, 0x92BEC979, 0xCCA6C0B2, 0x304A0979, 0x85AA43D4,
            0x783125BB, 0x6CA8EAA2, 0xE407EAC6, 0x4B5CFC3E, 0x9FBF8C76, 0x15CA20BE, 0xF2CA9FD3, 0x959BD756,
        ];
        static uint Mix(uint sum, uint value)
        {
            var mixed = sum ^ value;
            return unchecked(mixed * 16777619u) ^ (mixed >> 17);
        }
        for (var word = 0; word < page.Length / 4; word++)
        {
            // pd_checksum (bytes 8 and 9) counts as zero: it is the low half of word 2.
            var value = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(page[(word * 4)..]);
            if (word == 2) value &= 0xFFFF0000;
            sums[word % 32] = Mix(sums[word % 32], value);
        }
        uint result = 0;
        for (var lane = 0; lane < 32; lane++) result ^= Mix(Mix(sums[lane], 0), 0);
        return (ushort)((result ^ block) % 65535 + 1);
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
