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
        ? Members.Select(m => new PatroniNode(m.Name, m.Port, m.RestPort ?? 0, m.DataDirectory, ServiceDirectory(Directory,
            m.Name))).ToList()
        : [];

    /// <summary>The Patroni settings the cluster was started with (its DCS configuration).</summary>
    public IReadOnlyDictionary<string, string> PatroniSettingValues => _manifest.PatroniSettings ?? new Dictionary<string, string>();

    /// <summary>What an application connects to: HAProxy's read-write port. Carries the sandbox password: never print it.</summary>
    public string? ApplicationConnectionString => Patroni is { } endpoints ? ConnectionString(new SandboxMember("haproxy",
        endpoints.WritePort, Directory, Directory)) : null;

    private static string ServiceDirectory(string sandbox, string service) => Path.Combine(sandbox, ServicesFolder, service);

    private static readonly (string Program, string Package)[] PatroniPrograms = [("etcd", "etcd-server"), ("patroni", "patroni"),
        ("haproxy", "haproxy")];

    private static Dictionary<string, string> LocatePatroniPrograms() => LocatePrograms(PatroniPrograms, "a Patroni sandbox");

    /// <summary>Programs a sandbox runs, found on PATH or in /usr/sbin; a missing one is named with its Debian package.</summary>
    private static Dictionary<string, string> LocatePrograms((string Program, string Package)[] programs, string what)
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':',
            StringSplitOptions.RemoveEmptyEntries).Append("/usr/sbin").Append("/usr/bin");
        var found = programs.ToDictionary(p => p.Program, p => path.Select(d => Path.Combine(d, p.Program)).FirstOrDefault(File.Exists));
        var missing = programs.Where(p => found[p.Program] is null).ToList();
        if (missing.Count > 0)
        {
            throw new DrToolsException($"{what} needs {string.Join(", ", missing.Select(m => m.Program))}, which "
                + $"{(missing.Count == 1 ? "is" : "are")} not installed: apt-get install "
                + $"{string.Join(" ", programs.Select(p => p.Package).Distinct())}.", DrErrorKind.InvalidOperation);
        }
        return found.ToDictionary(f => f.Key, f => f.Value!);
    }

    private async Task BuildPatroniAsync(SandboxOptions options, CancellationToken cancellationToken)
    {
        var programs = LocatePatroniPrograms();
        var settings = (options.PatroniSettings ?? DrTools.Core.Patroni.PatroniSettings.Defaults).With(options.Synchronous
            ? ["synchronous_mode=true"] : []);
        var account = ServerAccount.Current;
        foreach (var folder in new[] { ArchiveDirectory, Path.Combine(Directory, ServicesFolder), SocketDirectory })
        {
            if (folder == SocketDirectory) EnsureSocketRoot();
            System.IO.Directory.CreateDirectory(folder);
            account.Own(folder);
        }
        var members = Enumerable.Range(0, options.Standbys + 1).Select(i => $"node{i}").Select(name =>
            new SandboxMember(name, 0, Path.Combine(Directory, name), Path.Combine(ServiceDirectory(Directory, name),
                "patroni.log"))).ToList();
        var endpoints = new PatroniEndpoints($"drtools-{Id}", 0, 0, 0, 0, 0);
        Record(endpoints, members, settings);

        // Every port is chosen just before its service starts, and a service that finds its port taken in between
        // (another sandbox starting beside it) starts again on new ones.
        options.Progress.Enter("starting etcd", 5);
        var health = () => new PatroniApi(endpoints.EtcdUrl);
        await StartServiceAsync("etcd", programs["etcd"], () =>
        {
            endpoints = endpoints with { EtcdPort = LoopbackPort.Free(), EtcdPeerPort = LoopbackPort.Free() };
            Record(endpoints, members, settings);
            return PatroniConfig.EtcdArguments(endpoints, Path.Combine(ServiceDirectory(Directory, "etcd"), "data"));
        }, async ()
            => await health().StatusAsync("health", cancellationToken) == 200, $"etcd did not answer on 127.0.0.1", cancellationToken);

        var parameters = PatroniParameters();
        for (var i = 0; i < members.Count; i++)
        {
            // node0 first, so it initializes the cluster and leads, as node0 is the primary of every sandbox at the start.
            var index = i;
            var role = i == 0 ? "primary" : "replica";
            options.Progress.Enter(i == 0 ? "Patroni on node0: initdb and leader election"
                : $"Patroni on {members[i].Name}: a replica of node0", 15 + 55 * i / members.Count);
            await StartServiceAsync(members[i].Name, programs["patroni"], () =>
            {
                members[index] = members[index] with { Port = LoopbackPort.Free(), RestPort = LoopbackPort.Free() };
                Record(endpoints, members, settings);
                var node = PatroniNodes[index];
                WriteServerFile(Path.Combine(node.ServiceDirectory, "patroni.yml"),
                    PatroniConfig.Patroni(endpoints, node, settings, UserName, _manifest.Password, Binaries.BinDirectory, SocketDirectory,
                        parameters), secret: true);
                return [Path.Combine(node.ServiceDirectory, "patroni.yml")];
            }, async ()
                => await new PatroniApi(PatroniNodes[index].RestUrl).StatusAsync(role,
                cancellationToken) == 200, $"Patroni on {members[i].Name} did not report it runs as {role}", cancellationToken);
        }
        options.Progress.Enter("waiting until every replica streams", 70);
        var standbys = members.Skip(1).ToList();
        await WaitForStreamingAsync(members[0], standbys, cancellationToken);
        // Patroni's synchronous mode makes one replica synchronous, the others potential.
        if (options.Synchronous) await WaitForStreamingAsync(members[0], standbys, cancellationToken, syncStates: ["sync", "quorum"],
            atLeast: 1);

        options.Progress.Enter("starting HAProxy", 85);
        var haproxyConfig = Path.Combine(ServiceDirectory(Directory, "haproxy"), "haproxy.cfg");
        var haproxy = await StartServiceAsync("haproxy", programs["haproxy"], () =>
        {
            endpoints = endpoints with { WritePort = LoopbackPort.Free(), ReadPort = LoopbackPort.Free(), StatsPort = LoopbackPort.Free() };
            Record(endpoints, members, settings);
            WriteServerFile(haproxyConfig, PatroniConfig.Haproxy(endpoints, PatroniNodes));
            return ["-f", haproxyConfig, "-db"];
        }, async ()
            => await RoutesAsync(endpoints, "primary",
            cancellationToken) is not null, "HAProxy's statistics did not answer", cancellationToken);
        options.Progress.Enter("waiting until HAProxy routes writes to node0 only", 90);
        await Polling.RequireAsync(async () => await RoutesAsync(endpoints, "primary", cancellationToken) is ["node0"]
                && (await RoutesAsync(endpoints, "replicas", cancellationToken))?.Count == standbys.Count,
            ServiceStartTimeout, TimeSpan.FromMilliseconds(100),
            ()
                => $"sandbox {Id}: HAProxy did not route writes to node0 alone within {DurationText.Format(ServiceStartTimeout)}: "
                + $"{ServiceProcess.LastLines(haproxy)}", cancellationToken);
    }

    private void Record(PatroniEndpoints endpoints, List<SandboxMember> members, PatroniSettings settings)
    {
        Record(_manifest with { Topology = PatroniTopologyName, Patroni = endpoints, PatroniSettings = settings.Values,
            Members = [.. members] });
    }

    /// <summary>
    /// Starts a service in its own folder under services/ and waits until it is <paramref name="ready"/>; one that exits
    /// because a port was taken (or, DrTools' own, could not listen) is started again with the ports and configuration
    /// <paramref name="prepare"/> makes anew.
    /// Returns its log file. With <paramref name="ownService"/>, <paramref name="program"/> names DrTools' own service
    /// host's log and the arguments are the host's; it is asked whether it is ready only once its log says it serves: a
    /// connection already waiting as .NET's listener starts makes the start fail.
    /// </summary>
    private async Task<string> StartServiceAsync(string name, string program, Func<IReadOnlyList<string>> prepare, Func<Task<bool>> ready,
        string notReady, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null, bool ownService = false)
    {
        var folder = ServiceDirectory(Directory, name);
        System.IO.Directory.CreateDirectory(folder);
        ServerAccount.Current.Own(folder);
        var log = Path.Combine(folder, $"{Path.GetFileName(program)}.log");
        for (var attempt = 1; ; attempt++)
        {
            var logged = File.Exists(log) ? new FileInfo(log).Length : 0;
            if (ownService) ServiceHost.Start($"{name} of sandbox {Id}", folder, log, prepare(), environment);
            else ServiceProcess.Start($"{name} of sandbox {Id}", folder, log, program, prepare(), environment: environment);
            var exited = false;
            var started = await Polling.UntilAsync(
                async () => (!ownService || ServiceProcess.Since(log, logged).Contains($" {Metrics.MetricsServer.Serving} ",
                    StringComparison.Ordinal)) && await ready() || (exited = ProcessTable.FindByWorkingDirectory(folder).Count == 0),
                ServiceStartTimeout, TimeSpan.FromMilliseconds(100), cancellationToken);
            if (started && !exited) return log;
            var said = ServiceProcess.LastLines(log);
            var since = exited ? ServiceProcess.Since(log, logged) : "";
            var portTaken = since.Contains("in use", StringComparison.OrdinalIgnoreCase)
                || ownService && since.Contains(Metrics.MetricsServer.CannotListen, StringComparison.Ordinal);
            if (!portTaken || attempt == 3)
            {
                throw new DrToolsException($"sandbox {Id}: {notReady} within "
                    + $"{DurationText.Format(ServiceStartTimeout)}{(exited ? " (it exited)" : "")}: {said}",
                    DrErrorKind.ExternalCommandFailed);
            }
        }
    }

    private static Task<IReadOnlyList<string>?> RoutesAsync(PatroniEndpoints endpoints, string listener,
        CancellationToken cancellationToken) =>
        HaproxyStats.UpServersAsync(endpoints.StatsUrl, listener, cancellationToken);

    /// <summary>What every node runs with, as a streaming sandbox does; Patroni sets the rest (listen address, port,
    /// replication).</summary>
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
        ["dynamic_shared_memory_type"] = "mmap",
    };

    /// <summary>Every living process of a Patroni node: its Patroni and the PostgreSQL processes of its data directory.</summary>
    public IReadOnlyList<int> NodeProcesses(string node)
    {
        var member = PatroniNodes.FirstOrDefault(n => n.Name == node)
            ?? throw new DrToolsException($"sandbox {Id} has no Patroni node '{node}'.", DrErrorKind.InvalidArgument);
        return [.. ProcessTable.FindByWorkingDirectory(member.ServiceDirectory),
            .. ProcessTable.FindByWorkingDirectory(member.DataDirectory)];
    }

    /// <summary>Starts Patroni again on a node whose Patroni was stopped or killed: the node comes back, and Patroni rejoins it.</summary>
    public void RestartPatroni(string node)
    {
        var member = PatroniNodes.FirstOrDefault(n => n.Name == node)
            ?? throw new DrToolsException($"sandbox {Id} has no Patroni node '{node}'.", DrErrorKind.InvalidArgument);
        ServiceProcess.Start($"{node} of sandbox {Id}", member.ServiceDirectory, Path.Combine(member.ServiceDirectory, "patroni.log"),
            LocatePatroniPrograms()["patroni"], [Path.Combine(member.ServiceDirectory, "patroni.yml")]);
    }

    /// <summary>
    /// Stops a sandbox's services (Patroni, HAProxy, etcd) before its PostgreSQL servers: a Patroni still running would
    /// restart a server removal just stopped. They are found by their working directory, also after DrTools was killed.
    /// </summary>
    private static async Task StopServicesAsync(string directory)
    {
        var services = Path.Combine(directory, ServicesFolder);
        if (!System.IO.Directory.Exists(services)) return;
        await ProcessTable.KillAsync(ProcessTable.FindByWorkingDirectory(services), TimeSpan.FromSeconds(10));
    }
}
