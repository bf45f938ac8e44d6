using System.Globalization;
using DrTools.Core.Engines;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Redis;

/// <summary>
/// Redis as Debian packages it (redis-server, redis-sentinel): sandboxes of a primary and replicas on 127.0.0.1, with a
/// password, AOF on every member, and optionally three Sentinels watching the primary.
/// </summary>
public sealed class RedisEngine : IStoreEngine
{
    public static readonly RedisEngine Instance = new();
    /// <summary>The name the Sentinels know the primary by.</summary>
    public const string SentinelMaster = "drtools";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    public string Name => StoreEngines.Redis;
    public string DisplayName => "Redis";
    public IReadOnlyList<string> Aliases { get; } = [StoreEngines.Redis];

    public void CheckSandboxOptions(SandboxOptions options) => options.RefuseBeyondReplicas(DisplayName, sentinels: true);

    public IDrillTarget Cluster(Sandbox sandbox, TimeSpan? connectTimeout = null) => new RedisCluster($"sandbox {sandbox.Id}",
        sandbox.Members.Select(m => Member(sandbox, m, connectTimeout)).ToList(), allowDrill: true, new Processes(sandbox),
        sandbox.Sentinels.Select(s => RedisMember.Create(s.Name, "127.0.0.1", s.Port, null, connectTimeout)).ToList());

    public IDrillTarget FromConnectionStrings(IReadOnlyList<string> connectionStrings, string? userName, string? password,
        TimeSpan? connectTimeout, IReadOnlyCollection<string>? allowDrillOn) =>
        RedisCluster.FromAddresses(connectionStrings, password, connectTimeout, allowDrillOn);

    private static RedisMember Member(Sandbox sandbox, SandboxMember member, TimeSpan? connectTimeout = null) =>
        RedisMember.Create(member.Name, "127.0.0.1", member.Port, sandbox.Password, connectTimeout);

    /// <summary>A member's address with its password, for clients (redis-cli -u); never print it.</summary>
    public static string Address(Sandbox sandbox, SandboxMember member) =>
        $"redis://default:{Uri.EscapeDataString(sandbox.Password)}@127.0.0.1:{member.Port}";

    public int? Pid(SandboxMember member)
    {
        try
        {
            return int.TryParse(File.ReadAllText(PidFile(member)).Trim(), out var pid) && ProcessTable.IsAlive(pid) ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public IReadOnlyList<string> BackupKinds { get; } = [RedisBackups.Rdb, RedisBackups.Aof];

    public Task<Backups.BackupRecord> BackupAsync(IDrillTarget cluster, Backups.BackupRepository repository, string? kind,
        Backups.BackupOptions options, CancellationToken cancellationToken) =>
        RedisBackups.CreateAsync((RedisCluster)cluster, repository, kind, cancellationToken);

    public Task<Backups.BackupVerificationResult> VerifyBackupAsync(Backups.BackupRepository repository, Backups.BackupRecord backup,
        Backups.BackupVerificationOptions options, CancellationToken cancellationToken) =>
        RedisBackups.VerifyAsync(repository, backup, options, cancellationToken);

    public Task<Backups.WalArchiveSettings> ArchiveAsync(IDrillTarget cluster, Backups.BackupRepository repository,
        CancellationToken cancellationToken) => throw new DrToolsException($"{cluster.Name} is a {Name} cluster: it has no log to "
        + "archive for point-in-time recovery (take RDB or AOF backups).", DrErrorKind.InvalidArgument);

    public Task<Backups.PointInTimeResult> RestorePointInTimeAsync(Backups.BackupRepository repository, Backups.PointInTimeOptions options,
        string? targetGtid, string? backupId, CancellationToken cancellationToken) =>
        throw (targetGtid is not null ? MariaDb.MariaDbRecoveryTarget.GtidRefusal(Name)
            : new DrToolsException("Redis has no point-in-time recovery: restore a snapshot instead (Test-DbBackup -KeepInstance leaves it "
                + "running).", DrErrorKind.InvalidArgument));

    private static string PidFile(SandboxMember member) => Path.Combine(member.DataDirectory, "redis.pid");
    private static string ConfigFile(Sandbox sandbox, SandboxMember member) => Path.Combine(sandbox.Directory, $"{member.Name}.conf");

    public async Task BuildSandboxAsync(Sandbox sandbox, SandboxOptions options, CancellationToken cancellationToken)
    {
        var members = new List<SandboxMember>();
        for (var i = 0; i <= options.Standbys; i++)
        {
            options.Progress.Enter(i == 0 ? "start of the primary" : $"start of replica node{i}", 5 + 60 * i / (options.Standbys + 1));
            var member = sandbox.AddMember($"node{i}");
            Directory.CreateDirectory(member.DataDirectory);
            ServerAccount.Current.Own(member.DataDirectory);
            sandbox.WriteServerFile(ConfigFile(sandbox, member), Settings(sandbox, member), secret: true);
            await StartAsync(sandbox, member, i == 0 ? null : Member(sandbox, members[0]), cancellationToken);
            members.Add(member);
        }
        var cluster = (RedisCluster)Cluster(sandbox);
        options.Progress.Enter("waiting until every replica is in sync", 70);
        await Polling.RequireAsync(async () => (await cluster.GetStatusAsync(cancellationToken)).Healthy, StartTimeout,
            TimeSpan.FromMilliseconds(20),
            ()
                => $"sandbox {sandbox.Id}: the replicas were not all in sync within {DurationText.Format(StartTimeout)}: "
                + $"{cluster.GetStatusAsync(CancellationToken.None).GetAwaiter().GetResult().Verdict}", cancellationToken);
        if (options.Sentinels) await StartSentinelsAsync(sandbox, Member(sandbox, members[0]), options, cancellationToken);
    }

    /// <summary>
    /// A new member started on the files of a backup already in its data directory (dump.rdb, or appendonlydir/):
    /// an isolated instance that verifies or restores it.
    /// </summary>
    internal static async Task<RedisMember> StartRestoredAsync(Sandbox sandbox, SandboxMember member, bool appendOnly,
        CancellationToken cancellationToken)
    {
        sandbox.WriteServerFile(ConfigFile(sandbox, member), Settings(sandbox, member, appendOnly), secret: true);
        ServerAccount.Current.OwnTree(member.DataDirectory);
        await StartAsync(sandbox, member, null, cancellationToken);
        return Member(sandbox, member);
    }

    private static string Settings(Sandbox sandbox, SandboxMember member, bool appendOnly = true) => $"""
        # Written by DrTools for sandbox {sandbox.Id}.
        port {member.Port}
        bind 127.0.0.1
        dir {member.DataDirectory}
        pidfile {PidFile(member)}
        logfile {member.LogFile}
        requirepass {sandbox.Password}
        masterauth {sandbox.Password}
        appendonly {(appendOnly ? "yes" : "no")}
        appendfsync everysec
        save ""
        enable-debug-command local
        replica-read-only yes

        """;

    /// <param name="primary">Starts as its replica (never serving writes of its own); null: as a primary.</param>
    private static async Task StartAsync(Sandbox sandbox, SandboxMember member, RedisMember? primary, CancellationToken cancellationToken)
    {
        List<string> arguments = [ConfigFile(sandbox, member)];
        if (primary is not null) arguments.AddRange(["--replicaof", primary.Host, primary.Port.ToString(CultureInfo.InvariantCulture)]);
        await StartServerAsync(sandbox, member, "redis-server", arguments, cancellationToken);
    }

    private static async Task StartServerAsync(Sandbox sandbox, SandboxMember member, string program, IReadOnlyList<string> arguments,
        CancellationToken cancellationToken)
    {
        ServiceProcess.Start($"{program} of sandbox {member.Name}", sandbox.Directory, member.LogFile + ".out", program, arguments);
        var client = Member(sandbox, member);
        var since = System.Diagnostics.Stopwatch.GetTimestamp();
        var exited = false;
        var started = await Polling.UntilAsync(async () =>
        {
            try
            {
                await using var connection = await RedisConnection.OpenAsync(client.Host, client.Port, program == "redis-server"
                    ? client.Password : null, cancellationToken);
                return (await connection.InfoAsync("persistence", cancellationToken)).GetValueOrDefault("loading") is null or "0";
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or RedisErrorException)
            {
                // Its pid file is written before it loads data: none a second on, or a dead PID, is a server that exited (a damaged file to
                // load).
                exited = Instance.Pid(member) is null && System.Diagnostics.Stopwatch.GetElapsedTime(since) > TimeSpan.FromSeconds(1);
                return exited;
            }
        }, StartTimeout, TimeSpan.FromMilliseconds(20), cancellationToken);
        if (!started || exited)
        {
            throw new DrToolsException($"sandbox {sandbox.Id}: {program} of {member.Name} "
                + $"{(exited ? "exited" : $"did not answer within {DurationText.Format(StartTimeout)}")}: "
                + $"{ServiceProcess.LastLines(member.LogFile)}", DrErrorKind.ExternalCommandFailed);
        }
    }

    /// <summary>Three Sentinels, quorum 2, noticing a primary gone after one second.</summary>
    private static async Task StartSentinelsAsync(Sandbox sandbox, RedisMember primary, SandboxOptions options,
        CancellationToken cancellationToken)
    {
        for (var i = 1; i <= 3; i++)
        {
            options.Progress.Enter($"start of Sentinel {i}", 75 + 5 * i);
            var sentinel = sandbox.AddSentinel($"sentinel{i}");
            Directory.CreateDirectory(sentinel.DataDirectory);
            ServerAccount.Current.Own(sentinel.DataDirectory);
            var config = Path.Combine(sentinel.DataDirectory, "sentinel.conf");
            // Sentinel rewrites its own file (what it learns of the replicas and the other Sentinels): the server account owns it.
            sandbox.WriteServerFile(config, $"""
                # Written by DrTools for sandbox {sandbox.Id}.
                port {sentinel.Port}
                bind 127.0.0.1
                dir {sentinel.DataDirectory}
                pidfile {PidFile(sentinel)}
                logfile {sentinel.LogFile}
                sentinel resolve-hostnames no
                sentinel monitor {SentinelMaster} {primary.Host} {primary.Port} 2
                sentinel auth-pass {SentinelMaster} {sandbox.Password}
                sentinel down-after-milliseconds {SentinelMaster} 1000
                sentinel failover-timeout {SentinelMaster} 10000
                sentinel parallel-syncs {SentinelMaster} 1

                """, secret: true);
            await StartServerAsync(sandbox, sentinel, "redis-sentinel", [config], cancellationToken);
        }
        // Each Sentinel must know the replicas and the others before it can fail over.
        var sentinels = ((RedisCluster)Instance.Cluster(sandbox)).Sentinels;
        await Polling.RequireAsync(async () =>
        {
            foreach (var sentinel in sentinels)
            {
                var fields = Fields(await sentinel.CommandAsync(cancellationToken, "SENTINEL", "MASTER", SentinelMaster));
                if (fields.GetValueOrDefault("num-other-sentinels") != "2"
                    || fields.GetValueOrDefault("num-slaves") != (sandbox.Members.Count - 1)
                        .ToString(CultureInfo.InvariantCulture)) return false;
            }
            return true;
        }, StartTimeout, TimeSpan.FromMilliseconds(100), ()
            => $"sandbox {sandbox.Id}: the Sentinels did not all see each other and every replica within "
            + $"{DurationText.Format(StartTimeout)}.", cancellationToken);
    }

    /// <summary>A Sentinel reply of alternating names and values as a dictionary.</summary>
    internal static IReadOnlyDictionary<string, string> Fields(object? reply)
    {
        var items = reply as object?[] ?? [];
        var fields = new Dictionary<string, string>();
        for (var i = 0; i + 1 < items.Length; i += 2) fields[(string)items[i]!] = Convert.ToString(items[i + 1],
            CultureInfo.InvariantCulture) ?? "";
        return fields;
    }

    /// <summary>A sandbox's redis-server processes.</summary>
    private sealed class Processes(Sandbox sandbox) : IRedisProcesses
    {
        private SandboxMember Member(string name) => sandbox.Members.Single(m => m.Name == name);

        public int? Pid(string member) => Instance.Pid(Member(member));

        public async Task<string> KillAsync(string member, CancellationToken cancellationToken)
        {
            var pid = Pid(member) ?? throw new DrToolsException($"sandbox {sandbox.Id}: redis-server of {member} is not running.",
                DrErrorKind.InvalidOperation);
            ProcessTable.Kill(pid);
            await ProcessTable.WaitForExitAsync([pid], TimeSpan.FromSeconds(10));
            return $"SIGKILL of redis-server (PID {pid}) of {member}";
        }

        public Task StartAsync(string member, CancellationToken cancellationToken) => RedisEngine.StartAsync(sandbox, Member(member), null,
            cancellationToken);

        public Task StartAsReplicaAsync(string member, RedisMember primary, CancellationToken cancellationToken) =>
            RedisEngine.StartAsync(sandbox, Member(member), primary, cancellationToken);
    }
}
