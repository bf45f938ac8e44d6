using DrTools.Core.Engines;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;
using MySqlConnector;

namespace DrTools.Core.MariaDb;

/// <summary>
/// MariaDB as Debian packages it (mariadb-server): sandboxes of a primary and GTID replicas on 127.0.0.1, binlog on
/// every member (log_slave_updates, so any replica can become the primary), optionally semi-synchronous.
/// </summary>
public sealed class MariaDbEngine : IStoreEngine
{
    public static readonly MariaDbEngine Instance = new();
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    public string Name => StoreEngines.MariaDb;
    public string DisplayName => "MariaDB";
    public IReadOnlyList<string> Aliases { get; } = [StoreEngines.MariaDb, "mysql"];
    string? IStoreEngine.ApplicationUser => ApplicationUser;

    public void CheckSandboxOptions(SandboxOptions options) => options.RefuseBeyondReplicas(DisplayName, sentinels: false);

    /// <summary>
    /// A sandbox's account for applications: every privilege an application needs on every database, none that ignores
    /// read_only (READ ONLY ADMIN, SUPER), so a read-only member refuses its writes. DrTools' probes write as it.
    /// </summary>
    public const string ApplicationUser = "app";

    /// <summary>What <see cref="ApplicationUser"/> may do: an application's DML and DDL, never an administrator's.</summary>
    private const string ApplicationPrivileges = "select, insert, update, delete, create, drop, index, alter, create temporary tables, "
        + "lock tables, execute, create view, show view, create routine, alter routine, trigger, event";

    public IDrillTarget Cluster(Sandbox sandbox, TimeSpan? connectTimeout = null)
    {
        var admin = Members(sandbox, Sandbox.UserName, connectTimeout);
        return new MariaDbCluster($"sandbox {sandbox.Id}", admin, allowDrill: true, new Processes(sandbox))
        {
            // A sandbox made before it had an application account: its probes write as the admin, as they did then.
            ProbeMembers = sandbox.ApplicationUser is { } application ? Members(sandbox, application, connectTimeout) : admin,
        };
    }

    private static List<MariaDbMember> Members(Sandbox sandbox, string user, TimeSpan? connectTimeout) =>
        sandbox.Members
            .Select(m => MariaDbMember.Parse(ConnectionString(sandbox, m, user), 0, name: m.Name, connectTimeout: connectTimeout)).ToList();

    public IDrillTarget FromConnectionStrings(IReadOnlyList<string> connectionStrings, string? userName, string? password,
        TimeSpan? connectTimeout, IReadOnlyCollection<string>? allowDrillOn) =>
        MariaDbCluster.FromConnectionStrings(connectionStrings, userName, password, connectTimeout, allowDrillOn);

    /// <summary>A member's connection string; it carries the sandbox password, so never print it.</summary>
    public static string ConnectionString(Sandbox sandbox, SandboxMember member, string user = Sandbox.UserName) =>
        new MySqlConnectionStringBuilder
    {
        Server = "127.0.0.1",
        Port = (uint)member.Port,
        UserID = user,
        Password = sandbox.Password,
    }.ConnectionString;

    public int? Pid(SandboxMember member) => ReadPid(PidFile(member));

    public IReadOnlyList<string> BackupKinds { get; } = [MariaDbBackups.Dump, MariaDbBackups.Physical];

    public Task<Backups.BackupRecord> BackupAsync(IDrillTarget cluster, Backups.BackupRepository repository, string? kind,
        Backups.BackupOptions options, CancellationToken cancellationToken) =>
        MariaDbBackups.CreateAsync((MariaDbCluster)cluster, repository, kind, cancellationToken);

    public Task<Backups.BackupVerificationResult> VerifyBackupAsync(Backups.BackupRepository repository, Backups.BackupRecord backup,
        Backups.BackupVerificationOptions options, CancellationToken cancellationToken) =>
        MariaDbBackups.VerifyAsync(repository, backup, options, cancellationToken);

    /// <summary>The binlogs copied now from the primary (run it again before a restore).</summary>
    public async Task<Backups.WalArchiveSettings> ArchiveAsync(IDrillTarget cluster, Backups.BackupRepository repository,
        CancellationToken cancellationToken)
    {
        var logs = await MariaDbPointInTime.ArchiveBinlogsAsync((MariaDbCluster)cluster, repository, cancellationToken);
        return new Backups.WalArchiveSettings(cluster.Name, MariaDbPointInTime.BinlogDirectory(repository),
            $"mariadb-binlog --read-from-remote-server --raw: {logs.Count} binlog(s) copied now, {logs[0]} to {logs[^1]}");
    }

    /// <summary>Binlog replay to <paramref name="targetGtid"/>, or to the options' time.</summary>
    public Task<Backups.PointInTimeResult> RestorePointInTimeAsync(Backups.BackupRepository repository, Backups.PointInTimeOptions options,
        string? targetGtid, string? backupId, CancellationToken cancellationToken) =>
        MariaDbPointInTime.RestoreAsync(repository, targetGtid is not null ? MariaDbRecoveryTarget.ToGtid(targetGtid)
            : options.Target.Kind == "time" ? MariaDbRecoveryTarget.ToTime(DateTimeOffset.Parse(options.Target.Value!,
                System.Globalization.CultureInfo.InvariantCulture))
            : throw new DrToolsException($"a MariaDB point-in-time recovery goes to a GTID or a time, not to {options.Target}.",
                DrErrorKind.InvalidArgument), options, backupId, cancellationToken);

    private static int? ReadPid(string pidFile)
    {
        try
        {
            return int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid) && ProcessTable.IsAlive(pid) ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string PidFile(SandboxMember member) => Path.Combine(member.DataDirectory, "mariadbd.pid");
    private static string OptionFile(Sandbox sandbox, SandboxMember member) => Path.Combine(sandbox.Directory, $"{member.Name}.cnf");
    private static string TemporaryDirectory(Sandbox sandbox, SandboxMember member) => Path.Combine(sandbox.Directory,
        $"{member.Name}.tmp");
    private static string Socket(Sandbox sandbox, SandboxMember member) => Path.Combine(sandbox.SocketDirectory, $"{member.Name}.sock");

    public async Task BuildSandboxAsync(Sandbox sandbox, SandboxOptions options, CancellationToken cancellationToken)
    {
        var members = new List<SandboxMember>();
        for (var i = 0; i <= options.Standbys; i++)
        {
            options.Progress.Enter(i == 0 ? "mariadb-install-db and start of the primary"
                : $"mariadb-install-db and start of replica node{i}", 5 + 80 * i / (options.Standbys + 1));
            var member = await AddServerAsync(sandbox, $"node{i}", serverId: i + 1, options.Synchronous, null, cancellationToken);
            members.Add(member);
        }
        options.Progress.Enter("starting replication", 90);
        var cluster = (MariaDbCluster)Cluster(sandbox);
        await cluster.MakePrimaryAsync(cluster.Member(members[0].Name), cancellationToken);
        foreach (var replica in members.Skip(1)) await cluster.RepointAsync(replica.Name, members[0].Name, cancellationToken);
        await Polling.RequireAsync(async () => (await cluster.GetStatusAsync(cancellationToken)).Healthy, StartTimeout,
            TimeSpan.FromMilliseconds(50),
            ()
                => $"sandbox {sandbox.Id}: the replicas were not all replicating within {DurationText.Format(StartTimeout)}: "
                + $"{cluster.GetStatusAsync(CancellationToken.None).GetAwaiter().GetResult().Verdict}", cancellationToken);
    }

    /// <summary>
    /// A new member: a fresh data directory (mariadb-install-db) or a copy of <paramref name="dataDirectory"/> (a prepared
    /// physical backup), started, with the sandbox's admin user.
    /// </summary>
    internal static async Task<SandboxMember> AddServerAsync(Sandbox sandbox, string name, int serverId, bool synchronous,
        string? dataDirectory, CancellationToken cancellationToken)
    {
        Sandbox.EnsureSocketRoot();
        if (!Directory.Exists(sandbox.SocketDirectory))
        {
            Directory.CreateDirectory(sandbox.SocketDirectory);
            ServerAccount.Current.Own(sandbox.SocketDirectory);
        }
        var member = sandbox.AddMember(name);
        // Temporary tables get names unique only within one server: servers sharing /tmp collide (mariadb-install-db's bootstrap too).
        Directory.CreateDirectory(TemporaryDirectory(sandbox, member));
        ServerAccount.Current.Own(TemporaryDirectory(sandbox, member));
        if (dataDirectory is null)
        {
            await CommandRunner.RunAsync(new CommandSpec($"mariadb-install-db for sandbox {member.Name}", "mariadb-install-db",
                ["--no-defaults", $"--datadir={member.DataDirectory}", $"--tmpdir={TemporaryDirectory(sandbox, member)}",
                    "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve"])
            {
                AsServerAccount = true,
                WorkingDirectory = sandbox.Directory,
                Writes = member.DataDirectory,
            }, cancellationToken);
        }
        else
        {
            Directory.Move(dataDirectory, member.DataDirectory);
            ServerAccount.Current.OwnTree(member.DataDirectory);
        }
        sandbox.WriteServerFile(OptionFile(sandbox, member), Settings(sandbox, member, serverId, synchronous, sandbox.Restored,
            foreignGrants: dataDirectory is not null));
        await StartAsync(sandbox, member, cancellationToken);
        // A physical copy starts without its grants checked (its users and their passwords are the source's): on a root
        // session through the socket the grants are read, checked from then on, and DrTools' user takes the instance's password.
        var flush = dataDirectory is null ? "" : "flush privileges; ";
        // The users exist on every member before replication starts, outside the binlog: replicas never replay them.
        await AsRootAsync(sandbox, member, $"{flush}set sql_log_bin = 0; "
            + $"create or replace user '{Sandbox.UserName}'@'127.0.0.1' identified by @password; "
            + $"grant all privileges on *.* to '{Sandbox.UserName}'@'127.0.0.1' with grant option; "
            + $"create or replace user '{ApplicationUser}'@'127.0.0.1' identified by @password; "
            + $"grant {ApplicationPrivileges} on *.* to '{ApplicationUser}'@'127.0.0.1'; set sql_log_bin = 1",
            cancellationToken, ("@password", sandbox.Password));
        return member;
    }

    /// <summary>
    /// Every member starts read-only and without replication running: which member writes is DrTools' decision, also
    /// after a restart. Semi-sync is on only as a replica: a replica waiting for acknowledgements of what it logs would
    /// stall its own replication for rpl_semi_sync_master_timeout; the primary becomes the semi-sync master when made one.
    /// </summary>
    /// <param name="restored">An instance restored from a backup: transactions replayed from a binlog keep the source's GTIDs, so strict
    /// GTID order is off.</param>
    /// <param name="foreignGrants">
    /// A physical copy keeps the source's users: it starts with grants unchecked, until DrTools' first session reads them.
    /// </param>
    private static string Settings(Sandbox sandbox, SandboxMember member, int serverId, bool synchronous, bool restored,
        bool foreignGrants) => $"""
        # Written by DrTools for sandbox {sandbox.Id}.
        [mariadbd]
        datadir = {member.DataDirectory}
        tmpdir = {TemporaryDirectory(sandbox, member)}
        port = {member.Port}
        bind-address = 127.0.0.1
        socket = {Socket(sandbox, member)}
        pid-file = {PidFile(member)}
        log-error = {member.LogFile}
        server-id = {serverId}
        log-bin = {member.Name}-bin
        relay-log = {member.Name}-relay
        log-slave-updates = 1
        binlog-format = ROW
        gtid-domain-id = 0
        gtid-strict-mode = {(restored ? 0 : 1)}
        sync-binlog = 1
        innodb-flush-log-at-trx-commit = 1
        read-only = 1
        skip-slave-start = 1
        skip-name-resolve = 1
        innodb-buffer-pool-size = 32M
        innodb-log-file-size = 16M
        max-connections = 100
        rpl-semi-sync-master-enabled = 0
        rpl-semi-sync-slave-enabled = {(synchronous ? 1 : 0)}
        rpl-semi-sync-master-timeout = 10000
        {(foreignGrants ? "skip-grant-tables = 1" : "")}

        """;

    private static async Task StartAsync(Sandbox sandbox, SandboxMember member, CancellationToken cancellationToken)
    {
        var logStart = File.Exists(member.LogFile) ? new FileInfo(member.LogFile).Length : 0;
        var options = $"--defaults-file={OptionFile(sandbox, member)}";
        ServiceProcess.Start($"mariadbd of sandbox {member.Name}", sandbox.Directory, member.LogFile + ".out", "mariadbd", [options]);
        // Its process, forked already (setsid -f) with this argument from the start: a server that aborts at start (a
        // damaged tablespace, a binlog it cannot open) ends the wait at once, not after the start timeout. Its command
        // line reads empty while it execs (setpriv, sh, mariadbd): not seen for a while, it has exited.
        var clock = new MonotonicClock();
        var process = ProcessTable.FindByArgument(options);
        var exited = false;
        var started = await Polling.UntilAsync(async () =>
        {
            if (process.Count == 0 && clock.Elapsed < TimeSpan.FromSeconds(2)) process = ProcessTable.FindByArgument(options);
            // A zombie counts as exited: init here may reap orphans only every few seconds.
            else if (process.All(pid => !ProcessTable.IsAlive(pid))) return exited = true;
            try
            {
                await AsRootAsync(sandbox, member, "select 1", cancellationToken);
                return true;
            }
            catch (MySqlException)
            {
                return false;
            }
        }, StartTimeout, TimeSpan.FromMilliseconds(50), cancellationToken);
        if (!started || exited)
        {
            var outcome = exited ? "exited at start" : $"did not accept connections within {DurationText.Format(StartTimeout)}";
            var said = ServiceProcess.Since(member.LogFile, logStart).Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(3)
                .DefaultIfEmpty(ServiceProcess.LastLines(member.LogFile + ".out")).Aggregate((a, b) => a + " | " + b);
            throw new DrToolsException($"sandbox {sandbox.Id}: mariadbd of {member.Name} {outcome}: {said}",
                DrErrorKind.ExternalCommandFailed);
        }
    }

    /// <summary>As MariaDB's root through the member's Unix socket: before the admin user exists, and to wait for a start.</summary>
    private static async Task AsRootAsync(Sandbox sandbox, SandboxMember member, string sql, CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters)
    {
        var builder = new MySqlConnectionStringBuilder { Server = Socket(sandbox, member),
            ConnectionProtocol = MySqlConnectionProtocol.UnixSocket, UserID = "root", Pooling = false, ConnectionTimeout = 2 };
        await using var connection = new MySqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new MySqlCommand(sql, connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A sandbox's mariadbd processes: killed by a drill, started again as configured.</summary>
    private sealed class Processes(Sandbox sandbox) : IMariaDbProcesses
    {
        /// <summary>A fresh copy of the primary (mariadb-backup, as a replica is provisioned), started, replicating from the GTID of the
        /// copy.</summary>
        public async Task<RebuildCopy> RebuildAsync(string member, MariaDbMember primary, CancellationToken cancellationToken)
        {
            var target = Member(member);
            if (Pid(member) is { } pid)
            {
                ProcessTable.Kill(pid);
                await ProcessTable.WaitForExitAsync([pid], TimeSpan.FromSeconds(10));
            }
            var copy = target.DataDirectory + ".copy";
            if (Directory.Exists(copy)) Directory.Delete(copy, recursive: true);
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            await MariaDbBackups.CopyAsync(primary, copy, cancellationToken);
            var ended = System.Diagnostics.Stopwatch.GetTimestamp();
            await MariaDbBackups.PrepareAsync(copy, copy, sandbox.Directory, cancellationToken);
            // "file position gtid" of the copy's consistent point: where its replication starts.
            var info = new[] { "xtrabackup_binlog_info", "mariadb_backup_binlog_info" }.Select(f => Path.Combine(copy,
                f)).FirstOrDefault(File.Exists)
                ?? throw new DrToolsException($"mariadb-backup of {primary.Display} recorded no binlog position (is its log_bin on?): "
                    + $"{member} cannot replicate from it.", DrErrorKind.ExternalCommandFailed);
            // No third field: the primary has logged no transaction yet, and the copy starts from the beginning.
            var fields = File.ReadAllText(info).Split('\t', '\n').Where(f => f.Length > 0).ToList();
            var position = fields.Count >= 3 ? fields[2] : "";
            Directory.Delete(target.DataDirectory, recursive: true);
            Directory.Move(copy, target.DataDirectory);
            ServerAccount.Current.OwnTree(target.DataDirectory);
            await MariaDbEngine.StartAsync(sandbox, target, cancellationToken);
            var rebuilt = MariaDbMember.Parse(ConnectionString(sandbox, target), 0, name: target.Name);
            await rebuilt.ExecuteAsync("set global gtid_slave_pos = @position", cancellationToken, ("@position", position));
            await MariaDbCluster.ReplicateFromAsync(rebuilt, primary, fromOwnBinlog: false, cancellationToken);
            return new RebuildCopy(started, ended, $"mariadb-backup --backup of {primary.Display} for {member}",
                $"its backup locks (BACKUP STAGE BLOCK_COMMIT; FLUSH TABLES WITH READ LOCK on older servers) hold every commit on "
                + $"{primary.Display} while it records the copy's consistent point");
        }

        private SandboxMember Member(string name) => sandbox.Members.Single(m => m.Name == name);

        public int? Pid(string member) => ReadPid(PidFile(Member(member)));

        public async Task<string> KillAsync(string member, CancellationToken cancellationToken)
        {
            var pid = Pid(member) ?? throw new DrToolsException($"sandbox {sandbox.Id}: mariadbd of {member} is not running.",
                DrErrorKind.InvalidOperation);
            ProcessTable.Kill(pid);
            await ProcessTable.WaitForExitAsync([pid], TimeSpan.FromSeconds(10));
            return $"SIGKILL of mariadbd (PID {pid}) of {member}";
        }

        public Task StartAsync(string member, CancellationToken cancellationToken) => MariaDbEngine.StartAsync(sandbox, Member(member),
            cancellationToken);
    }
}
