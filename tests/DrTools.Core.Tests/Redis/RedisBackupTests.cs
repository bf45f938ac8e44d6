using System.Diagnostics;
using DrTools.Core.Backups;
using DrTools.Core.Engines;
using DrTools.Core.Processes;
using DrTools.Core.Redis;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

/// <summary>Redis RDB and AOF backups verified by loading them into new redis-servers; bad input to the other engines.</summary>
public sealed class RedisBackupTests
{
    [Fact]
    public async Task Good_RDB_and_AOF_backups_pass_and_a_corrupted_RDB_fails_naming_the_fault()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await RedisTests.CreateAsync(root, replicas: 1);
        var cluster = (RedisCluster)sandbox.Cluster;
        await RedisTests.CliAsync(sandbox, "node0", "MSET", "user:1", "ada", "user:2", "grace", "order:1", "42", "plain", "x");
        await RedisTests.CliAsync(sandbox, "node0", "HSET", "cart:7", "apples", "3", "pears", "1");
        await RedisTests.CliAsync(sandbox, "node0", "RPUSH", "queue:jobs", "a", "b", "c");
        var repository = BackupRepository.Open(Path.Combine(root.Path, "repo"), create: true);

        var rdb = await RedisBackups.CreateAsync(cluster, repository, RedisBackups.Rdb, CancellationToken.None);
        Assert.Equal(["(no prefix)", "cart:*", "order:*", "queue:*", "user:*"], rdb.Reference!.Tables.Select(t => t.Table));
        Assert.Equal(2, rdb.Reference.Tables.Single(t => t.Table == "user:*").Rows);
        var good = await RedisBackups.VerifyAsync(repository, rdb, new BackupVerificationOptions { Root = root.Path }, CancellationToken.None);
        Assert.True(good.Passed, good.Reason);
        Assert.Equal("OK", await RedisTests.CliAsync(sandbox, "node0", "SET", "user:3", "written after the pause")); // the pause was lifted

        var aof = await RedisBackups.CreateAsync(cluster, repository, RedisBackups.Aof, CancellationToken.None);
        var aofResult = await RedisBackups.VerifyAsync(repository, aof, new BackupVerificationOptions { Root = root.Path }, CancellationToken.None);
        Assert.True(aofResult.Passed, aofResult.Reason);
        Assert.Equal(3, aofResult.Integrity!.Current.Tables.Single(t => t.Table == "user:*").Rows);

        // Bytes flipped in the middle of the snapshot: redis-check-rdb names it, nothing is loaded.
        var file = Path.Combine(repository.BackupDirectory(rdb.Id), "dump.rdb");
        var bytes = await File.ReadAllBytesAsync(file);
        for (var i = bytes.Length / 3; i < bytes.Length / 3 + 8; i++) bytes[i] ^= 0xFF;
        await File.WriteAllBytesAsync(file, bytes);
        BackupCorruption.RewriteDigest(repository.BackupDirectory(rdb.Id), "dump.rdb"); // past files.sha256: redis-check-rdb must see it
        var corrupted = await RedisBackups.VerifyAsync(repository, rdb, new BackupVerificationOptions { Root = root.Path }, CancellationToken.None);
        Assert.False(corrupted.Passed);
        Assert.StartsWith("redis-check-rdb: dump.rdb: ", corrupted.Reason);
        Assert.Single(Sandbox.List(root.Path), s => s.State != SandboxState.NotASandbox);
    }

    [Fact]
    public async Task A_backup_asked_for_while_the_server_already_saves_waits_for_that_save_and_takes_its_own()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await RedisTests.CreateAsync(root, replicas: 0);
        var cluster = (RedisCluster)sandbox.Cluster;
        var keys = Enumerable.Range(1, 1500).SelectMany(i => new[] { $"user:{i}", $"v{i}" });
        await RedisTests.CliAsync(sandbox, "node0", ["MSET", .. keys]);
        // A save of the server's own, slowed to ~1.5 s (1 ms a key; the forked child keeps the delay it started with).
        await RedisTests.CliAsync(sandbox, "node0", "CONFIG", "SET", "rdb-key-save-delay", "1000");
        Assert.Equal("Background saving started", await RedisTests.CliAsync(sandbox, "node0", "BGSAVE"));
        await RedisTests.CliAsync(sandbox, "node0", "CONFIG", "SET", "rdb-key-save-delay", "0");
        await RedisTests.CliAsync(sandbox, "node0", "SET", "user:late", "after the server's save began");
        var repository = BackupRepository.Open(Path.Combine(root.Path, "repo"), create: true);

        // Was "ERR Background save already in progress".
        var rdb = await RedisBackups.CreateAsync(cluster, repository, RedisBackups.Rdb, CancellationToken.None);

        Assert.Equal(1501, rdb.Reference!.Tables.Single(t => t.Table == "user:*").Rows);
        var verified = await RedisBackups.VerifyAsync(repository, rdb, new BackupVerificationOptions { Root = root.Path },
            CancellationToken.None);
        Assert.True(verified.Passed, verified.Reason);
    }

    [Fact]
    public async Task An_RDB_with_one_value_changed_and_its_CRC_zeroed_fails_naming_the_key_pattern()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await RedisTests.CreateAsync(root, replicas: 0);
        // Short strings that are not numbers: stored as they are in the RDB (no integer encoding, no LZF), so one can be edited in place.
        await RedisTests.CliAsync(sandbox, "node0", "MSET", "acct:1", "balance-100", "acct:2", "balance-200", "user:7", "ada");
        var repository = BackupRepository.Open(Path.Combine(root.Path, "repo"), create: true);
        var rdb = await RedisBackups.CreateAsync((RedisCluster)sandbox.Cluster, repository, RedisBackups.Rdb, CancellationToken.None);

        var file = Path.Combine(repository.BackupDirectory(rdb.Id), "dump.rdb");
        var bytes = await File.ReadAllBytesAsync(file);
        var at = bytes.AsSpan().IndexOf("balance-100"u8);
        Assert.True(at > 0 && bytes.AsSpan(at + 1).IndexOf("balance-100"u8) < 0, "the value is in the snapshot once");
        "balance-999"u8.CopyTo(bytes.AsSpan(at));
        bytes.AsSpan(bytes.Length - 8).Clear(); // CRC64 0: "saved with checksum disabled", which redis-check-rdb and redis-server accept
        await File.WriteAllBytesAsync(file, bytes);
        BackupCorruption.RewriteDigest(repository.BackupDirectory(rdb.Id), "dump.rdb");

        var changed = await RedisBackups.VerifyAsync(repository, rdb, new BackupVerificationOptions { Root = root.Path }, CancellationToken.None);
        Assert.False(changed.Passed, "an RDB with a changed value passed verification");
        Assert.StartsWith("integrity: ", changed.Reason);
        Assert.Equal("acct:*", Assert.Single(changed.Integrity!.Differences).Table);
        Assert.Contains("acct:*: same 2 keys, different content", changed.Reason);
    }

    [Fact]
    public async Task A_Redis_Cluster_node_is_refused_in_one_line()
    {
        var directory = Directory.CreateTempSubdirectory("drtools-cluster-mode-").FullName;
        ServerAccount.Current.OwnTree(directory);
        var port = LoopbackPort.Free();
        // The cluster bus port is the port + 10000 unless named: in the ephemeral range, where a client may hold it.
        var bus = LoopbackPort.Free();
        var (file, arguments) = ServerAccount.Current.Wrap("redis-server", ["--port", port.ToString(), "--bind", "127.0.0.1",
            "--cluster-enabled", "yes", "--cluster-port", bus.ToString(), "--dir", directory, "--save", "", "--appendonly", "no"]);
        using var server = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true })!;
        try
        {
            // This test's own server answers (it names this test's folder), however long a busy machine takes to start it.
            var member = RedisMember.Create("n", "127.0.0.1", port, null);
            await Polling.RequireAsync(async () =>
            {
                if (server.HasExited) throw new InvalidOperationException($"redis-server exited with {server.ExitCode} (port {port} taken?)");
                try { return (await member.CommandAsync(CancellationToken.None, "CONFIG", "GET", "dir") as object?[])?.ElementAtOrDefault(1) as string == directory; }
                catch (DrToolsException) { return false; }
            }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(20), () => $"redis-server did not answer on port {port} in 60 s", CancellationToken.None);
            var target = Stores.FromConnectionStrings("redis", [$"127.0.0.1:{port}"], allowDrillOn: [$"127.0.0.1:{port}"]);
            var error = await Assert.ThrowsAsync<DrToolsException>(() => target.GetStatusAsync(CancellationToken.None));
            Assert.Contains("Redis Cluster node (cluster mode): not supported", error.Message);
            Assert.DoesNotContain('\n', error.Message);
        }
        finally
        {
            // As root the server is runuser's child: killing runuser alone left redis-server running.
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            Directory.Delete(directory, recursive: true);
        }
        var left = ProcessTable.FindByWorkingDirectory(directory);
        Assert.True(await ProcessTable.WaitForExitAsync(left, TimeSpan.FromSeconds(10)), $"redis-server still runs: pid {string.Join(", ", left)}");
    }

    [Fact]
    public async Task Wrong_engines_and_wrong_credentials_get_one_clear_line_without_the_secret()
    {
        using var root = new TemporaryRoot();
        await using var redis = await RedisTests.CreateAsync(root, replicas: 0);
        await using var mariadb = await Sandbox.CreateAsync(new SandboxOptions { Engine = StoreEngines.MariaDb, Standbys = 0, Root = root.Path }, CancellationToken.None);
        var redisPort = redis.Members[0].Port;
        var mariadbPort = mariadb.Members[0].Port;

        // A MariaDB client at a Redis port and a Redis client at a MariaDB port: each says it is another engine's.
        var asMariaDb = await Stores.FromConnectionStrings("mariadb", [$"Server=127.0.0.1;Port={redisPort};User ID=drtools;Password=x"], connectTimeout: TimeSpan.FromSeconds(2)).GetStatusAsync(CancellationToken.None);
        Assert.Contains("does not answer as MariaDB or MySQL", asMariaDb.Members[0].Error);
        var asRedis = await Stores.FromConnectionStrings("redis", [$"127.0.0.1:{mariadbPort}"], connectTimeout: TimeSpan.FromSeconds(2)).GetStatusAsync(CancellationToken.None);
        Assert.Contains("does not answer as Redis", asRedis.Members[0].Error);
        // A MariaDB sandbox where only PostgreSQL works.
        var postgresOnly = Assert.Throws<DrToolsException>(() => mariadb.Target);
        Assert.Contains("is a mariadb sandbox; this operation is for PostgreSQL", postgresOnly.Message);

        const string secret = "Wr0ngSecretValue";
        var badMariaDb = await Stores.FromConnectionStrings("mariadb", [$"Server=127.0.0.1;Port={mariadbPort};User ID=drtools;Password={secret}"]).GetStatusAsync(CancellationToken.None);
        Assert.Contains("refused the credentials of user 'drtools' (password not shown)", badMariaDb.Members[0].Error);
        var badRedis = await Stores.FromConnectionStrings("redis", [$"redis://default:{secret}@127.0.0.1:{redisPort}"]).GetStatusAsync(CancellationToken.None);
        Assert.Contains("Redis refused the credentials (password not shown)", badRedis.Members[0].Error);
        Assert.All(new[] { badMariaDb.Verdict, badRedis.Verdict }, text => Assert.DoesNotContain(secret, text));

        var malformed = Assert.Throws<DrToolsException>(() => Stores.FromConnectionStrings("redis", [$"redis//default:{secret}@host:port"]));
        Assert.DoesNotContain(secret, malformed.Message);
        Assert.Contains("member #1", malformed.Message);
        Assert.Contains("engine 'oracle'", Assert.Throws<DrToolsException>(() => Stores.FromConnectionStrings("oracle", ["x"])).Message);

        // A manifest naming an engine this DrTools does not know is left alone, and the other sandboxes are still listed.
        var manifest = Path.Combine(redis.Directory, "sandbox.json");
        var written = await File.ReadAllTextAsync(manifest);
        await File.WriteAllTextAsync(manifest, written.Replace("\"engine\": \"redis\"", "\"engine\": \"oracle\"", StringComparison.Ordinal));
        try
        {
            var listed = Sandbox.List(root.Path);
            Assert.Equal(SandboxState.NotASandbox, listed.Single(s => s.Id == redis.Id).State);
            Assert.Contains("names engine 'oracle'", listed.Single(s => s.Id == redis.Id).Note);
            Assert.Equal(StoreEngines.MariaDb, listed.Single(s => s.Id == mariadb.Id).Engine);
        }
        finally
        {
            await File.WriteAllTextAsync(manifest, written);
        }
    }
}
