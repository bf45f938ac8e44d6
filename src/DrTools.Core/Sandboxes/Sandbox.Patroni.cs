using DrTools.Core.Patroni;
using DrTools.Core.Postgres;
using DrTools.Core.Processes;

namespace DrTools.Core.Sandboxes;

public enum SandboxTopology
{
    /// <summary>A primary and streaming standbys that DrTools itself starts, stops, promotes and rewinds.</summary>
    Streaming,
    /// <summary>PostgreSQL nodes managed by Patroni (with one etcd), behind HAProxy: the HA manager does the recovery.</summary>
    Patroni,
}

// The Patroni topology: one etcd, Patroni-managed PostgreSQL nodes and HAProxy, each a service in the sandbox's
// services/ folder (found and stopped by it), all on 127.0.0.1 on free ports.
public sealed partial class Sandbox
{
    private const string ServicesFolder = "services";
    private const string PatroniTopologyName = "patroni";
    private static readonly TimeSpan ServiceStartTimeout = TimeSpan.FromSeconds(90);

    public SandboxTopology Topology => _manifest.Topology == PatroniTopologyName ? SandboxTopology.Patroni : SandboxTopology.Streaming;

    /// <summary>Where a Patroni sandbox's etcd and HAProxy listen; null for a streaming sandbox.</summary>
    public PatroniEndpoints? Patroni => _manifest.Patroni;

    /// <summary>The Patroni nodes: each member with its REST API; empty for a streaming sandbox.</summary>
    public IReadOnlyList<PatroniNode> PatroniNodes => Topology == SandboxTopology.Patroni
        ? Members.Select(m => new PatroniNode(m.Name, m.Port, m.RestPort ?? 0, m.DataDirectory, ServiceDirectory(Directory, m.Name))).ToList()
        : [];

    /// <summary>The Patroni settings the cluster was started with (its DCS configuration).</summary>
    public IReadOnlyDictionary<string, string> PatroniSettingValues => _manifest.PatroniSettings ?? new Dictionary<string, string>();

    /// <summary>What an application connects to: HAProxy's read-write port. Carries the sandbox password: never print it.</summary>
    public string? ApplicationConnectionString => Patroni is { } endpoints ? ConnectionString(new SandboxMember("haproxy", endpoints.WritePort, Directory, Directory)) : null;

    private static string ServiceDirectory(string sandbox, string service) => Path.Combine(sandbox, ServicesFolder, service);

    private static readonly (string Program, string Package)[] PatroniPrograms = [("etcd", "etcd-server"), ("patroni", "patroni"), ("haproxy", "haproxy")];

    /// <summary>The programs a Patroni sandbox runs, found on PATH or in /usr/sbin; a missing one is named with its Debian package.</summary>
    private static Dictionary<string, string> LocatePatroniPrograms()
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/sbin").Append("/usr/bin");
        var found = PatroniPrograms.ToDictionary(p => p.Program, p => path.Select(d => Path.Combine(d, p.Program)).FirstOrDefault(File.Exists));
        var missing = PatroniPrograms.Where(p => found[p.Program] is null).ToList();
        if (missing.Count > 0)
        {
            throw new DrToolsException($"a Patroni sandbox needs {string.Join(", ", missing.Select(m => m.Program))}, which {(missing.Count == 1 ? "is" : "are")} not installed: apt-get install {string.Join(" ", PatroniPrograms.Select(p => p.Package))}.", DrErrorKind.InvalidOperation);
        }
        return found.ToDictionary(f => f.Key, f => f.Value!);
    }

    private async Task BuildPatroniAsync(SandboxOptions options, CancellationToken cancellationToken)
    {
        var programs = LocatePatroniPrograms();
        var settings = (options.PatroniSettings ?? DrTools.Core.Patroni.PatroniSettings.Defaults).With(options.Synchronous ? ["synchronous_mode=true"] : []);
        var account = ServerAccount.Current;
        foreach (var folder in new[] { ArchiveDirectory, Path.Combine(Directory, ServicesFolder), SocketDirectory })
        {
            if (folder == SocketDirectory) EnsureSocketRoot();
            System.IO.Directory.CreateDirectory(folder);
            account.Own(folder);
        }
        var endpoints = new PatroniEndpoints($"drtools-{Id}", LoopbackPort.Free(), LoopbackPort.Free(), LoopbackPort.Free(), LoopbackPort.Free(), LoopbackPort.Free());
        var members = Enumerable.Range(0, options.Standbys + 1).Select(i => $"node{i}").Select(name =>
            new SandboxMember(name, LoopbackPort.Free(), Path.Combine(Directory, name), Path.Combine(ServiceDirectory(Directory, name), "patroni.log")) { RestPort = LoopbackPort.Free() }).ToList();
        _manifest = _manifest with { Topology = PatroniTopologyName, Patroni = endpoints, PatroniSettings = settings.Values, Members = members };
        _manifest.Save();

        options.Progress.Enter("starting etcd", 5);
        var etcd = StartService("etcd", programs["etcd"], PatroniConfig.EtcdArguments(endpoints, Path.Combine(ServiceDirectory(Directory, "etcd"), "data")));
        var health = new PatroniApi(endpoints.EtcdUrl);
        await Polling.RequireAsync(async () => await health.StatusAsync("health", cancellationToken) == 200, ServiceStartTimeout, TimeSpan.FromMilliseconds(100),
            () => $"sandbox {Id}: etcd did not answer on {endpoints.EtcdUrl} within {DurationText.Format(ServiceStartTimeout)}: {ServiceProcess.LastLines(etcd)}", cancellationToken);

        var parameters = PatroniParameters();
        foreach (var node in PatroniNodes)
        {
            System.IO.Directory.CreateDirectory(node.ServiceDirectory);
            ServerAccount.Current.Own(node.ServiceDirectory);
            WriteServerFile(Path.Combine(node.ServiceDirectory, "patroni.yml"),
                PatroniConfig.Patroni(endpoints, node, settings, UserName, _manifest.Password, Binaries.BinDirectory, SocketDirectory, parameters), secret: true);
        }
        // node0 first, so it initializes the cluster and leads, as node0 is the primary of every sandbox at the start.
        var leader = PatroniNodes[0];
        options.Progress.Enter("Patroni on node0: initdb and leader election", 15);
        StartPatroni(programs["patroni"], leader);
        await WaitForRestAsync(leader, "primary", cancellationToken);
        var replicas = PatroniNodes.Skip(1).ToList();
        foreach (var replica in replicas)
        {
            options.Progress.Enter($"Patroni on {replica.Name}: a replica of node0", 30 + 40 * replicas.IndexOf(replica) / replicas.Count);
            StartPatroni(programs["patroni"], replica);
        }
        options.Progress.Enter("waiting until every replica streams", 70);
        foreach (var replica in replicas) await WaitForRestAsync(replica, "replica", cancellationToken);
        var standbys = members.Skip(1).ToList();
        await WaitForStreamingAsync(members[0], standbys, cancellationToken);
        // Patroni's synchronous mode makes one replica synchronous, the others potential.
        if (options.Synchronous) await WaitForStreamingAsync(members[0], standbys, cancellationToken, syncStates: ["sync", "quorum"], atLeast: 1);

        options.Progress.Enter("starting HAProxy", 85);
        var haproxyConfig = Path.Combine(ServiceDirectory(Directory, "haproxy"), "haproxy.cfg");
        var haproxy = StartService("haproxy", programs["haproxy"], ["-f", haproxyConfig, "-db"], () => WriteServerFile(haproxyConfig, PatroniConfig.Haproxy(endpoints, PatroniNodes)));
        options.Progress.Enter("waiting until HAProxy routes writes to node0 only", 90);
        await Polling.RequireAsync(async () => await RoutesAsync(endpoints, "primary", cancellationToken) is ["node0"]
                && (await RoutesAsync(endpoints, "replicas", cancellationToken))?.Count == replicas.Count,
            ServiceStartTimeout, TimeSpan.FromMilliseconds(100),
            () => $"sandbox {Id}: HAProxy did not route writes to node0 alone within {DurationText.Format(ServiceStartTimeout)}: {ServiceProcess.LastLines(haproxy)}", cancellationToken);
    }

    private static Task<IReadOnlyList<string>?> RoutesAsync(PatroniEndpoints endpoints, string listener, CancellationToken cancellationToken) =>
        HaproxyStats.UpServersAsync(endpoints.StatsUrl, listener, cancellationToken);

    /// <summary>Starts a service in its own folder under services/; returns its log file.</summary>
    private string StartService(string name, string program, IReadOnlyList<string> arguments, Action? writeConfiguration = null)
    {
        var folder = ServiceDirectory(Directory, name);
        System.IO.Directory.CreateDirectory(folder);
        ServerAccount.Current.Own(folder);
        writeConfiguration?.Invoke();
        var log = Path.Combine(folder, $"{Path.GetFileName(program)}.log");
        ServiceProcess.Start($"{name} of sandbox {Id}", folder, log, program, arguments);
        return log;
    }

    private void StartPatroni(string program, PatroniNode node) =>
        StartService(node.Name, program, [Path.Combine(node.ServiceDirectory, "patroni.yml")]);

    private async Task WaitForRestAsync(PatroniNode node, string role, CancellationToken cancellationToken)
    {
        var api = new PatroniApi(node.RestUrl);
        await Polling.RequireAsync(async () => await api.StatusAsync(role, cancellationToken) == 200, ServiceStartTimeout, TimeSpan.FromMilliseconds(100),
            () => $"sandbox {Id}: Patroni on {node.Name} did not report it runs as {role} within {DurationText.Format(ServiceStartTimeout)}: {ServiceProcess.LastLines(Path.Combine(node.ServiceDirectory, "patroni.log"))}",
            cancellationToken);
    }

    /// <summary>What every node runs with, as a streaming sandbox does; Patroni sets the rest (listen address, port, replication).</summary>
    private Dictionary<string, string> PatroniParameters() => new()
    {
        ["max_connections"] = "60",
        ["shared_buffers"] = "32MB",
        ["wal_log_hints"] = "on",
        ["hot_standby_feedback"] = "on",
        ["wal_receiver_status_interval"] = "1s",
        ["archive_mode"] = "on",
        ["archive_command"] = Backups.WalArchive.ArchiveCommand(ArchiveDirectory),
        ["log_line_prefix"] = "%m [%p] %q%a ",
    };

    /// <summary>Every living process of a Patroni node: its Patroni and the PostgreSQL processes of its data directory.</summary>
    public IReadOnlyList<int> NodeProcesses(string node)
    {
        var member = PatroniNodes.FirstOrDefault(n => n.Name == node) ?? throw new DrToolsException($"sandbox {Id} has no Patroni node '{node}'.", DrErrorKind.InvalidArgument);
        return [.. ProcessTable.FindByWorkingDirectory(member.ServiceDirectory), .. ProcessTable.FindByWorkingDirectory(member.DataDirectory)];
    }

    /// <summary>Starts Patroni again on a node whose Patroni was stopped or killed: the node comes back, and Patroni rejoins it.</summary>
    public void RestartPatroni(string node) =>
        StartPatroni(LocatePatroniPrograms()["patroni"], PatroniNodes.FirstOrDefault(n => n.Name == node) ?? throw new DrToolsException($"sandbox {Id} has no Patroni node '{node}'.", DrErrorKind.InvalidArgument));

    /// <summary>
    /// Stops a sandbox's services (Patroni, HAProxy, etcd) before its PostgreSQL servers: a Patroni still running would
    /// restart a server removal just stopped. They are found by their working directory, also after DrTools was killed.
    /// </summary>
    private static async Task StopServicesAsync(string directory)
    {
        var services = Path.Combine(directory, ServicesFolder);
        if (!System.IO.Directory.Exists(services)) return;
        var running = ProcessTable.FindByWorkingDirectory(services);
        foreach (var pid in running) ProcessTable.Kill(pid);
        await ProcessTable.WaitForExitAsync(running, TimeSpan.FromSeconds(10));
    }
}
