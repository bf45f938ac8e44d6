using DrTools.Core.Cluster;
using DrTools.Core.Failover;
using DrTools.Core.Postgres;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;
using Npgsql;

namespace DrTools.Core.Patroni;

/// <summary>
/// The Patroni cluster a drill runs on: a Patroni sandbox, whose nodes' processes, logs and HAProxy DrTools knows; or
/// any cluster given by its members' connection strings and Patroni's REST APIs, acted on only through those APIs and
/// the user's fault command.
/// </summary>
internal sealed class PatroniCluster
{
    private static readonly TimeSpan AnswerDeadline = TimeSpan.FromSeconds(2);
    private IReadOnlyList<Uri> _restApis;

    private PatroniCluster(string name, IReadOnlyList<Uri> restApis, Sandbox? sandbox)
    {
        Name = name;
        _restApis = restApis;
        Sandbox = sandbox;
    }

    /// <summary>The Patroni cluster of a target: a Patroni sandbox, or a cluster whose Patroni REST APIs were given; null
    /// otherwise.</summary>
    public static PatroniCluster? For(DbTarget target, Sandbox? sandbox) =>
        sandbox?.Topology == SandboxTopology.Patroni ? new($"sandbox {sandbox.Id}", sandbox.PatroniNodes.Select(n => n.RestUrl).ToList(),
            sandbox)
        : sandbox is null && target.HaManager is PatroniManager manager ? new(target.Name, manager.RestApis, null)
        : null;

    public string Name { get; }

    /// <summary>The sandbox DrTools built, whose nodes it can kill, freeze and start again; null for any other cluster.</summary>
    public Sandbox? Sandbox { get; }

    /// <summary>HAProxy's statistics, when DrTools knows the proxy in front of the cluster (a sandbox's).</summary>
    public Uri? HaproxyStats => Sandbox?.Patroni?.StatsUrl;

    /// <summary>
    /// Patroni's view from whichever REST API answers first, all asked at once (the leader's may be dead or frozen).
    /// Every member's own API Patroni lists is asked from then on, so one URL given is enough to follow a failover.
    /// </summary>
    public async Task<(PatroniApi? Api, PatroniClusterView? View,
        IReadOnlyList<string> Failures)> AskAsync(CancellationToken cancellationToken)
    {
        var answer = await PatroniApi.FirstAnswerAsync(_restApis, AnswerDeadline, cancellationToken);
        if (answer.View is { } view) _restApis = [.. _restApis.Union(view.Members.Select(m => m.ApiUrl).OfType<Uri>())];
        return answer;
    }

    public async Task<PatroniClusterView?> ViewAsync(CancellationToken cancellationToken) => (await AskAsync(cancellationToken)).View;

    /// <summary>The REST API to ask for a switchover: the leader's own, else the one that answered.</summary>
    public async Task<PatroniApi> LeaderApiAsync(string leader, CancellationToken cancellationToken)
    {
        var (api, view, failures) = await AskAsync(cancellationToken);
        if (api is null) throw new DrToolsException($"no Patroni REST API of {Name} answered: {string.Join("; ", failures)}",
            DrErrorKind.ConnectionFailed);
        return view!.Members.FirstOrDefault(m => m.Name == leader)?.ApiUrl is { } own ? new PatroniApi(own) : api;
    }

    /// <summary>
    /// The target with its members named as Patroni names them. Each member Patroni lists must be one the user gave
    /// (and so allowed for drills): DrTools watches no server it was not given.
    /// </summary>
    public DbTarget Named(DbTarget target, PatroniClusterView view)
    {
        if (Sandbox is not null) return target;
        var members = view.Members.Select(m =>
            target.Members.FirstOrDefault(t => ClusterInspector.SameEndpoint(t.Endpoint, $"{m.Host}:{m.Port}"))?.Named(m.Name)
            ?? throw DrToolsException.Refused($"Patroni's member {m.Name} ({m.Host}:{m.Port}) is not among the members given "
                + $"({string.Join(", ", target.Members.Select(t => t.Endpoint))}): give every node's connection string, and the "
                + $"application's path (HAProxy, PgBouncer) as the probe connection string",
                DrErrorKind.InvalidArgument)).ToList();
        return target with { Members = members };
    }

    /// <summary>The probes of the application's path: a sandbox's HAProxy read-write and read-only ports unless the caller gave its
    /// own.</summary>
    public (ProbeOptionsPair Probes, string Description) ApplicationPath(FailoverOptions options)
    {
        if (Sandbox is { ApplicationConnectionString: { } application, Patroni: { } endpoints })
        {
            var readOnly = new NpgsqlConnectionStringBuilder(application) { Port = endpoints.ReadPort }.ConnectionString;
            return (new(options.WriteProbe with { ConnectionString = options.WriteProbe.ConnectionString ?? application },
                options.ReadProbe with { ConnectionString = options.ReadProbe.ConnectionString ?? readOnly }),
                $"through HAProxy's read-write port 127.0.0.1:{endpoints.WritePort} and a read probe through its read-only port "
                    + $"127.0.0.1:{endpoints.ReadPort}");
        }
        return (new(options.WriteProbe, options.ReadProbe), options.WriteProbe.ConnectionString is null
            ? "on the members (the one that accepts writes) and a read probe on the members"
            : "through the probe connection string given (the application's path) and a read probe on the members");
    }

    /// <summary>Where each node's Patroni log ends now (a sandbox's; other clusters' logs are out of DrTools' reach).</summary>
    public IReadOnlyDictionary<string, long> LogEnds() =>
        (Sandbox?.PatroniNodes ?? []).ToDictionary(n => LogFile(n), n => File.Exists(LogFile(n)) ? new FileInfo(LogFile(n)).Length : 0L);

    /// <summary>What Patroni logged after <paramref name="ends"/>, the last lines of each node, for a failed drill's account.</summary>
    public string LoggedSince(IReadOnlyDictionary<string, long> ends, int linesPerNode = 8)
    {
        var logged = ends.Select(end => (Node: Path.GetFileName(Path.GetDirectoryName(end.Key)!), Lines: LastLines(
                ServiceProcess.Since(end.Key, end.Value)
                    .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), linesPerNode)))
            .Where(n => n.Lines.Count > 0).ToList();
        return logged.Count == 0 ? "" : " Patroni's logs since the fault: " + string.Join("; ",
            logged.Select(n => $"{n.Node}: {string.Join(" | ", n.Lines)}"));
    }

    /// <summary>
    /// The last lines of a node's log, led by its last HA loop's decision ("no action. I am (node1) …", "PAUSE: …") when
    /// warnings that came after it (a frozen leader's REST API not answering, say) would push it out.
    /// </summary>
    private static List<string> LastLines(IReadOnlyList<string> lines, int count)
    {
        // A Python traceback (a REST client that hung up before Patroni answered) would crowd out PostgreSQL's own lines.
        lines = lines.Where(l => !PythonTraceback(l)).ToList();
        var last = lines.TakeLast(count).ToList();
        var decision = lines.LastOrDefault(l => l.Contains(" I am (", StringComparison.Ordinal));
        if (decision is not null && !last.Contains(decision)) last.Insert(0, decision);
        return last;
    }

    private static bool PythonTraceback(string line) =>
        line.StartsWith("File \"", StringComparison.Ordinal) || line.StartsWith("Traceback ", StringComparison.Ordinal)
            || line.StartsWith("self.", StringComparison.Ordinal) || line.StartsWith("BrokenPipeError", StringComparison.Ordinal)
            || line.StartsWith("ConnectionResetError", StringComparison.Ordinal) || line.StartsWith("^", StringComparison.Ordinal)
            || line.StartsWith("---", StringComparison.Ordinal) || line.Contains("Exception occurred during processing of request");

    private static string LogFile(PatroniNode node) => Path.Combine(node.ServiceDirectory, "patroni.log");
}
