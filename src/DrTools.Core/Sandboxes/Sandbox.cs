using System.Security.Cryptography;
using DrTools.Core.Postgres;
using DrTools.Core.Processes;
using Npgsql;

namespace DrTools.Core.Sandboxes;

/// <summary>
/// A disposable PostgreSQL cluster on 127.0.0.1: a primary and streaming standbys with replication slots, WAL archived
/// into the sandbox's own folder, all in one fresh directory. Allowed for destructive drills. Disposing it stops every
/// process it started and deletes the directory; creation that fails or is cancelled does the same before it returns.
/// </summary>
public sealed partial class Sandbox : IAsyncDisposable
{
    public const string UserName = "drtools";
    private static readonly TimeSpan StreamingTimeout = TimeSpan.FromSeconds(30);

    private SandboxManifest _manifest;

    private Sandbox(SandboxManifest manifest)
    {
        _manifest = manifest;
        Binaries = new PgBinaries(manifest.BinDirectory, manifest.MajorVersion);
    }

    /// <summary>The store the sandbox runs: postgresql, mariadb or redis.</summary>
    public string Engine => _manifest.Engine ?? Engines.StoreEngines.PostgreSql;

    /// <summary>The sandbox's password (its engine's admin user's, a Redis requirepass): for connection strings, never for
    /// output.</summary>
    internal string Password => _manifest.Password;

    /// <summary>An instance restored from a backup, not a cluster DrTools built.</summary>
    internal bool Restored => _manifest.Restored;

    /// <summary>A Redis sandbox's Sentinels (empty for any other).</summary>
    public IReadOnlyList<SandboxMember> Sentinels => _manifest.Sentinels ?? [];

    /// <summary>Records a Sentinel of a Redis sandbox, on disk first (removal finds it there).</summary>
    internal SandboxMember AddSentinel(string name)
    {
        var sentinel = new SandboxMember(name, LoopbackPort.Free(), Path.Combine(Directory, name), Path.Combine(Directory, $"{name}.log"));
        // A List: PowerShell indexes IList, not the compiler's read-only collection.
        Record(_manifest with { Sentinels = Sentinels.Append(sentinel).ToList() });
        return sentinel;
    }

    /// <summary>
    /// The sandbox as a drill target of its engine: a MariaDB or Redis cluster with its processes, or for PostgreSQL
    /// <see cref="Target"/>.
    /// </summary>
    public Engines.IDrillTarget Cluster => ClusterWithin(null);

    /// <summary><see cref="Cluster"/> whose members are given up on after <paramref name="connectTimeout"/> (--connect-timeout).</summary>
    public Engines.IDrillTarget ClusterWithin(TimeSpan? connectTimeout) =>
        Engines.StoreEngines.Get(Engine).Cluster(this, connectTimeout);

    public static string DefaultRoot =>
        Environment.GetEnvironmentVariable("DRTOOLS_SANDBOX_ROOT") is { Length: > 0 } root ? root : Path.Combine(Path.GetTempPath(),
            "drtools-sandboxes");

    public string Id => _manifest.Id;
    public string Directory => _manifest.Directory;
    public DateTimeOffset CreatedAt => _manifest.CreatedAt;
    public bool Synchronous => _manifest.Synchronous;
    public string ArchiveDirectory => _manifest.ArchiveDirectory;
    public IReadOnlyList<SandboxMember> Members => _manifest.Members;
    /// <summary>DrTools' administrative account (a MariaDB one has READ ONLY ADMIN: read_only does not stop it).</summary>
    public string AdminUser => _manifest.UserName;
    /// <summary>The account an application connects as (same password), which read_only stops; null when there is none.</summary>
    public string? ApplicationUser => _manifest.ApplicationUser;
    public PgBinaries Binaries { get; }
    public bool AllowDrill => true;

    /// <summary>The sandbox as a drill target: its members by name (node0 starts as the primary).</summary>
    public DbTarget Target => TargetWithin(null);

    /// <summary><see cref="Target"/> whose members are given up on after <paramref name="connectTimeout"/> (--connect-timeout).</summary>
    public DbTarget TargetWithin(TimeSpan? connectTimeout) => Engine != Engines.StoreEngines.PostgreSql
        ? throw new DrToolsException($"sandbox {Id} is a {Engine} sandbox; this operation is for PostgreSQL (pass a PostgreSQL sandbox or "
            + $"connection strings).", DrErrorKind.InvalidArgument)
        : new($"sandbox {Id}",
            Members.Select(m => DbMember.Parse(ConnectionString(m), 0, name: m.Name, connectTimeout: connectTimeout)).ToList(),
            AllowDrill: true)
    {
        HaManager = Topology == SandboxTopology.Patroni ? new Patroni.PatroniManager(PatroniNodes.Select(n => n.RestUrl).ToList()) : null,
        SandboxDirectory = Directory,
    };

    public LocalServer Server(string memberName)
    {
        var member = Members.FirstOrDefault(m => m.Name == memberName)
            ?? throw new DrToolsException($"sandbox {Id} has no member '{memberName}' (members: "
                + $"{string.Join(", ", Members.Select(m => m.Name))}).", DrErrorKind.InvalidArgument);
        return new LocalServer(Binaries, member.DataDirectory, member.LogFile);
    }

    /// <summary>An Npgsql connection string for a member; it carries the sandbox password, so never print it.</summary>
    public string ConnectionString(SandboxMember member) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = member.ClientPort,
        Username = _manifest.UserName,
        Password = _manifest.Password,
        Database = "postgres",
    }.ConnectionString;

    public override string ToString()
    {
        var engine = _manifest.Engine is { } other ? Engines.StoreEngines.Get(other).DisplayName + ": " : "";
        var members = string.Join(", ", Members.Select(m => $"{m.Name} 127.0.0.1:{m.ClientPort}"));
        var proxy = FaultProxy ? ", through a fault proxy" : "";
        var patroni = Patroni is { } endpoints
            ? $"; Patroni, HAProxy read-write 127.0.0.1:{endpoints.WritePort}, read-only 127.0.0.1:{endpoints.ReadPort}"
            : "";
        var sentinels = Sentinels.Count > 0 ? $"; Sentinels {string.Join(", ", Sentinels.Select(s => $"127.0.0.1:{s.Port}"))}" : "";
        return $"sandbox {Id} ({engine}{members}{proxy}{patroni}{sentinels})";
    }

    public static async Task<Sandbox> CreateAsync(SandboxOptions options, CancellationToken cancellationToken)
    {
        if (options.Standbys is < 0 or > SandboxOptions.MaxStandbys)
        {
            throw new DrToolsException($"standbys: {options.Standbys} is out of range; a sandbox has 0 to {SandboxOptions.MaxStandbys} "
                + $"standbys.", DrErrorKind.InvalidArgument);
        }
        var engine = Engines.StoreEngines.Get(options.Engine);
        engine.CheckSandboxOptions(options);
        // A PostgreSQL sandbox's manifest names no engine, as before there were others: DrTools of then still lists it.
        var sandbox = Reserve(options.Root, engine.SandboxBinaries(options), options.Persistent, options.Synchronous, NewPassword(),
            engine: engine.Name == Engines.StoreEngines.PostgreSql ? null : engine.Name, applicationUser: engine.ApplicationUser);
        try
        {
            await engine.BuildSandboxAsync(sandbox, options, cancellationToken);
            // A stop asked for while the last step finished without looking (a readiness check that passed) still stops it.
            cancellationToken.ThrowIfCancellationRequested();
            return sandbox;
        }
        catch
        {
            await sandbox.DisposeAsync();
            throw;
        }
    }

    private static string NewPassword() => RandomNumberGenerator.GetString("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", 24);

    /// <summary>Refuses, before anything is created, what a PostgreSQL sandbox cannot have.</summary>
    internal static void CheckPostgresOptions(SandboxOptions options)
    {
        if (options.Sentinels) throw new DrToolsException("Sentinels watch Redis primaries: give them to a Redis sandbox (-Engine Redis).",
            DrErrorKind.InvalidArgument);
        if (options.FaultProxy && options.Topology == SandboxTopology.Patroni)
        {
            throw new DrToolsException("a fault proxy is for a streaming sandbox: a Patroni sandbox's members advertise themselves to each "
                + "other through etcd, around any proxy.", DrErrorKind.InvalidArgument);
        }
        CheckWalDisk(options);
        if (options.Synchronous && options.Standbys == 0)
        {
            throw new DrToolsException("synchronous replication needs at least one standby.", DrErrorKind.InvalidArgument);
        }
    }

    /// <summary>Builds a reserved PostgreSQL sandbox: streaming standbys or Patroni nodes, and monitoring when asked.</summary>
    internal async Task BuildPostgresAsync(SandboxOptions options, CancellationToken cancellationToken)
    {
        await (options.Topology == SandboxTopology.Patroni ? BuildPatroniAsync(options, cancellationToken)
            : BuildAsync(options, cancellationToken));
        if (options.Monitoring) await StartMonitoringAsync(options.Progress, cancellationToken);
    }

    /// <summary>
    /// A new, empty sandbox directory with its manifest, owned by this process unless persistent: for a cluster built
    /// by initdb here, or an instance restored from a backup. Either way it is listed and removed like any sandbox.
    /// </summary>
    internal static Sandbox Reserve(string? root, PgBinaries? binaries, bool persistent, bool synchronous = false, string password = "",
        bool restored = false, string? engine = null, string? applicationUser = null)
    {
        root ??= DefaultRoot;
        DemandUsableRoot(root);
        var id = $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
        var directory = Path.Combine(Path.GetFullPath(root), id);
        var owner = persistent ? null : ProcessOwner.Current;
        var manifest = new SandboxManifest(id, directory, DateTimeOffset.UtcNow, owner?.Pid, synchronous, UserName, password,
            binaries?.BinDirectory ?? "",
            binaries?.MajorVersion ?? 0, Path.Combine(directory, "archive"), [])
        {
            Creator = SandboxManifest.CreatorMark,
            OwnerStartTicks = owner?.StartTicks,
            Restored = restored,
            Engine = engine,
            ApplicationUser = applicationUser,
        };
        OwnedFolder.Create(Path.GetFullPath(root), id, RootWhat, folder => manifest.Save(folder));
        return new Sandbox(manifest);
    }

    private async Task BuildAsync(SandboxOptions options, CancellationToken cancellationToken)
    {
        var account = ServerAccount.Current;
        System.IO.Directory.CreateDirectory(ArchiveDirectory);
        account.Own(ArchiveDirectory);
        WriteServerFile(PassFile, $"127.0.0.1:*:*:{UserName}:{_manifest.Password}\n", secret: true);
        if (options.FaultProxy) await StartFaultProxyAsync(options.Progress, cancellationToken);
        if (options.WalDiskSize is { } walDiskSize) Record(_manifest with { WalDiskSize = walDiskSize });

        options.Progress.Enter("initdb of the primary", 5);
        var primary = await AddMemberAsync("node0", cancellationToken);
        var primaryWal = await MountWalVolumeAsync(primary, cancellationToken);
        WriteServerFile(PasswordFile, _manifest.Password + "\n", secret: true);
        try
        {
            await CommandRunner.RunAsync(new CommandSpec("initdb of the sandbox primary", Binaries.Tool("initdb"),
                ["-D", primary.DataDirectory, "-U", UserName, $"--pwfile={PasswordFile}", "--auth=scram-sha-256", "-E", "UTF8",
                    "--locale=C", "--data-checksums", "--no-sync", .. primaryWal])
            {
                AsServerAccount = true,
                WorkingDirectory = Directory,
                Writes = primary.DataDirectory,
            }, cancellationToken);
        }
        finally
        {
            File.Delete(PasswordFile);
        }
        AtomicFile.Append(Path.Combine(primary.DataDirectory, "postgresql.conf"), CommonSettings() + WalDiskSettings());
        options.Progress.Enter("starting the primary", 25);
        await StartNewMemberAsync(primary, standbyOf: null, cancellationToken);

        var standbys = new List<SandboxMember>();
        for (var i = 1; i <= options.Standbys; i++)
        {
            options.Progress.Enter($"pg_basebackup and start of standby node{i}", 35 + 55 * (i - 1) / options.Standbys);
            var standby = await AddMemberAsync($"node{i}", cancellationToken);
            var standbyWal = await MountWalVolumeAsync(standby, cancellationToken);
            await using (var connection = await Target.Member(primary.Name).OpenAsync(cancellationToken))
            await using (var createSlot = new NpgsqlCommand("select pg_create_physical_replication_slot(@slot, true)", connection))
            {
                createSlot.Parameters.AddWithValue("slot", standby.Name);
                await createSlot.ExecuteNonQueryAsync(cancellationToken);
            }
            await CommandRunner.RunAsync(new CommandSpec($"pg_basebackup for sandbox {standby.Name}", Binaries.Tool("pg_basebackup"),
                ["-h", "127.0.0.1", "-p", primary.ClientPort.ToString(), "-U", UserName, "-D", standby.DataDirectory, "-X", "stream", "-S",
                    standby.Name, "--checkpoint=fast", "--no-sync", .. standbyWal])
            {
                AsServerAccount = true,
                WorkingDirectory = Directory,
                Environment = new Dictionary<string, string> { ["PGPASSFILE"] = PassFile },
            }, cancellationToken);
            await StartNewMemberAsync(standby, standbyOf: primary, cancellationToken);
            standbys.Add(standby);
        }

        options.Progress.Enter("waiting until every standby streams", 92);
        await WaitForStreamingAsync(primary, standbys, cancellationToken);
        if (options.Synchronous)
        {
            // Only now: a synchronous primary with no standby connected would block every commit, including set-up's own.
            // Through ExecuteAsync: a server's own error (its disk full) is one line naming the member, never a stack trace.
            var names = string.Join(", ", standbys.Select(s => s.Name));
            await Target.Member(primary.Name).ExecuteAsync($"alter system set synchronous_standby_names = 'ANY 1 ({names})'; "
                + "select pg_reload_conf();", cancellationToken);
            await WaitForStreamingAsync(primary, standbys, cancellationToken, syncStates: ["sync", "quorum"]);
        }
    }

    internal string PassFile => Path.Combine(Directory, ".pgpass");
    private string PasswordFile => Path.Combine(Directory, ".initdb-password");

    internal SandboxMember AddMember(string name)
    {
        var member = new SandboxMember(name, LoopbackPort.Free(), Path.Combine(Directory, name), Path.Combine(Directory, $"{name}.log"));
        // A List: PowerShell indexes IList, not the compiler's read-only collection.
        Record(_manifest with { Members = _manifest.Members.Append(member).ToList() });
        return member;
    }

    /// <summary>A new member of the cluster, behind its own listener on the fault proxy when the sandbox has one.</summary>
    private async Task<SandboxMember> AddMemberAsync(string name, CancellationToken cancellationToken)
    {
        var member = AddMember(name);
        if (!_manifest.FaultProxy) return member;
        member = member with { ProxyPort = await ProxyControl.ListenAsync(member.Port, null, cancellationToken) };
        ReplaceMember(member);
        return member;
    }

    internal void ReplaceMember(SandboxMember member)
    {
        Record(_manifest with { Members = _manifest.Members.Select(m => m.Name == member.Name ? member : m).ToList() });
    }

    /// <summary>Keeps what the sandbox is now made of, on disk first: another process finds and removes it from there.</summary>
    private void Record(SandboxManifest manifest)
    {
        manifest.Save();
        _manifest = manifest;
    }

    /// <summary>Starts a member on its port; a port taken by someone else between choosing and binding it gets a new one.</summary>
    private async Task StartNewMemberAsync(SandboxMember member, SandboxMember? standbyOf, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            WriteMemberSettings(member, standbyOf);
            try
            {
                await Server(member.Name).StartAsync(cancellationToken);
                return;
            }
            catch (DrToolsException e) when (attempt < 3 && (e.Message.Contains("Address already in use", StringComparison.Ordinal)
                || e.Message.Contains("could not create any TCP/IP sockets", StringComparison.Ordinal)))
            {
                member = member with { Port = LoopbackPort.Free() };
                if (member.ProxyPort is { } proxyPort) await ProxyControl.ListenAsync(member.Port, proxyPort, cancellationToken);
                ReplaceMember(member);
            }
        }
    }

    // Dynamic shared memory in files of the data directory (pg_dynshmem), not /dev/shm: a killed member's segments go with
    // its folder, where a deleted folder left them in memory until the machine restarted.
    // No wal_keep_size (backups hold their WAL with a slot of their own, DbBackups.HoldWalAsync): keeping every segment, a
    // young sandbox recycled none, and a switchover's clean stop (archiving on: a segment switch, the shutdown checkpoint
    // in the next one, received into a next one by the standby) made new files — 0.2-0.25 s stops against 0.12-0.15 s
    // (issue 21's bench). Nor wal_init_zero off: writes into a sparse segment allocate as they go, and stopped slower still.
    private string CommonSettings() => $"""

        # DrTools sandbox settings
        listen_addresses = '127.0.0.1'
        unix_socket_directories = ''
        max_connections = 60
        shared_buffers = 32MB
        wal_level = replica
        max_wal_senders = 10
        max_replication_slots = 10
        hot_standby = on
        hot_standby_feedback = on
        wal_log_hints = on
        wal_receiver_status_interval = 1s
        archive_mode = on
        archive_command = '{Backups.WalArchive.ArchiveCommand(ArchiveDirectory).Replace("'", "''")}'
        logging_collector = off
        log_line_prefix = '%m [%p] %q%a '
        dynamic_shared_memory_type = mmap

        """;

    internal void WriteServerFile(string path, string content, bool secret = false)
    {
        var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        AtomicFile.Write(path, content, secret ? mode : mode | UnixFileMode.GroupRead);
        ServerAccount.Current.Own(path);
    }

    /// <param name="atLeast">How many of the standbys must stream so; default all of them.</param>
    private async Task WaitForStreamingAsync(SandboxMember primary, IReadOnlyList<SandboxMember> standbys,
        CancellationToken cancellationToken, string[]? syncStates = null, int? atLeast = null)
    {
        if (standbys.Count == 0) return;
        var names = standbys.Select(s => s.Name).ToArray();
        await using var connection = await Target.Member(primary.Name).OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "select count(*) from pg_stat_replication where state = 'streaming' and application_name = any(@names) and (@sync::text[] is "
                + "null or sync_state = any(@sync))", connection);
        command.Parameters.AddWithValue("names", names);
        command.Parameters.AddWithValue("sync", (object?)syncStates
            ?? DBNull.Value).NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text;
        var required = atLeast ?? names.Length;
        await Polling.RequireAsync(async () => (long)(await command.ExecuteScalarAsync(cancellationToken))! >= required, StreamingTimeout,
            TimeSpan.FromMilliseconds(25),
            () =>
            {
                var which = string.Join(", ", names);
                var missing = required == names.Length ? $"standbys {which} were not all"
                    : $"fewer than {required} of standbys {which} were";
                return $"sandbox {Id}: {missing} streaming{(syncStates is null ? "" : " synchronously")} within "
                    + $"{DurationText.Format(StreamingTimeout)}: {Server(standbys[^1].Name).LastLogLines()}";
            },
            cancellationToken);
    }

    /// <summary>
    /// A private folder for the sandbox's Unix sockets. Not inside the sandbox: a socket's path is limited to 107 bytes,
    /// and sandbox folders can be deep. Derived from the id, so that removal always finds it.
    /// </summary>
    internal string SocketDirectory => SocketDirectoryOf(Id);

    private static readonly string SocketRoot = Path.Combine(Path.GetTempPath(), "drtools-sockets");

    internal static string SocketDirectoryOf(string id) => Path.Combine(SocketRoot, id);

    internal static void EnsureSocketRoot() => EnsureRoot(SocketRoot);

    private const string RootWhat = "the sandbox folder (DRTOOLS_SANDBOX_ROOT or --root)";

    /// <summary>
    /// Refuses, in one line and before anything is made, a sandbox folder no sandbox can live in: one that cannot be
    /// made or written (read-only, full), or one the server account cannot enter.
    /// </summary>
    public static void DemandUsableRoot(string? root)
    {
        root = Path.GetFullPath(root ?? DefaultRoot);
        EnsureRoot(root);
        ServerAccount.Current.DemandCanEnter(root, "the sandbox folder");
        var probe = Path.Combine(root, $".drtools-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            System.IO.Directory.CreateDirectory(probe);
            System.IO.Directory.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw AtomicFile.Failure("make a folder in", $"{RootWhat} {root}", e);
        }
    }

    private static void EnsureRoot(string root)
    {
        if (System.IO.Directory.Exists(root)) return;
        AtomicFile.MakeFolder(root, RootWhat);
        // Shared like /tmp: several users may keep sandboxes here, and the server account must reach into it.
        File.SetUnixFileMode(root, (UnixFileMode)0b1_111_111_111);
    }

    /// <summary>Stops every server of the sandbox and deletes its directory. Never cancelled: a half-removed sandbox is worse than a slow
    /// one.</summary>
    public async ValueTask DisposeAsync() => await Destroy(Directory, _manifest);
}
