using System.Management.Automation;
using DrTools.Core;
using DrTools.Core.Sandboxes;

namespace DrTools.PowerShell;

/// <summary>
/// Creates a disposable PostgreSQL cluster on 127.0.0.1, allowed for drills: a primary with streaming standbys, or
/// Patroni-managed nodes with etcd behind HAProxy.
/// </summary>
[Cmdlet(VerbsCommon.New, "DrSandbox", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low,
    DefaultParameterSetName = StreamingSet)]
[OutputType(typeof(Sandbox))]
public sealed class NewDrSandboxCommand : DrCmdlet
{
    private const string StreamingSet = "Streaming";
    private const string PatroniSet = "Patroni";

    [Parameter(Position = 0, ParameterSetName = StreamingSet, HelpMessage = "Number of streaming standbys (0 to 8, default 1).")]
    [ValidateRange(0, 8)]
    public int Standbys { get; set; } = 1;

    [Parameter(Mandatory = true, ParameterSetName = PatroniSet,
        HelpMessage = "Patroni: PostgreSQL nodes managed by Patroni with one etcd, behind HAProxy (read-write and read-only ports); "
        + "Streaming (the default without it): DrTools' own primary and standbys.")]
    [ValidateSet(nameof(SandboxTopology.Streaming), nameof(SandboxTopology.Patroni))]
    public string Topology { get; set; } = nameof(SandboxTopology.Streaming);

    [Parameter(ParameterSetName = PatroniSet, HelpMessage = "Number of Patroni nodes, the leader included (1 to 9, default 3).")]
    [ValidateRange(1, 9)]
    public int Members { get; set; } = 3;

    [Parameter(ParameterSetName = PatroniSet,
        HelpMessage = "Patroni DCS settings instead of Patroni's defaults (ttl 30, loop_wait 10), e.g. ttl=10,loop_wait=2.")]
    public string[]? PatroniSetting { get; set; }

    [Parameter(ParameterSetName = StreamingSet,
        HelpMessage = "Put every member's client and replication traffic through DrTools' fault proxy, so Latency, Jitter, Bandwidth, "
        + "ResetConnections and Blackhole faults apply to it.")]
    public SwitchParameter FaultProxy { get; set; }

    [Parameter(ParameterSetName = StreamingSet,
        HelpMessage = "Put each member's pg_wal on a tmpfs of this size that DrTools mounts (root), e.g. 256MB, so a DiskFull fault can "
        + "fill it.")]
    public string? WalDiskSize { get; set; }

    [Parameter(HelpMessage = "Also start a postgres_exporter per member, DrTools' metrics, a Prometheus with alerting rules a team starts "
        + "from and an Alertmanager that notifies DrTools (Debian's prometheus, prometheus-alertmanager and "
        + "prometheus-postgres-exporter).")]
    public SwitchParameter Monitoring { get; set; }

    [Parameter(HelpMessage = "Use synchronous replication (ANY 1 of the standbys must confirm each commit; with Patroni, its "
        + "synchronous_mode).")]
    public SwitchParameter Synchronous { get; set; }

    [Parameter(ParameterSetName = StreamingSet,
        HelpMessage = "The store: PostgreSQL (the default), MariaDB (a primary and GTID replicas, Debian's mariadb-server) or Redis (a "
        + "primary and replicas, Debian's redis-server).")]
    [ValidateSet("PostgreSQL", "MariaDB", "Redis", IgnoreCase = true)]
    public string Engine { get; set; } = "PostgreSQL";

    [Parameter(ParameterSetName = StreamingSet,
        HelpMessage = "With -Engine Redis: three Sentinels (Debian's redis-sentinel) watch the primary and fail it over themselves.")]
    public SwitchParameter Sentinels { get; set; }

    [Parameter(HelpMessage = "Folder to create the sandbox in (default: DRTOOLS_SANDBOX_ROOT or <temp>/drtools-sandboxes).")]
    public string? Path { get; set; }

    protected override void ProcessRecord()
    {
        var root = Path is null ? Sandbox.DefaultRoot : GetUnresolvedProviderPathFromPSPath(Path);
        var patroni = string.Equals(Topology, nameof(SandboxTopology.Patroni), StringComparison.OrdinalIgnoreCase);
        // Persistent: it outlives the pipeline, until Remove-DrSandbox.
        var options = patroni
            ? RunOperation(_ => Task.FromResult(new SandboxOptions
            {
                Topology = SandboxTopology.Patroni,
                Standbys = Members - 1,
                PatroniSettings = DrTools.Core.Patroni.PatroniSettings.Defaults.With(PatroniSetting ?? []),
            }))
            : RunOperation(_ => Task.FromResult(new SandboxOptions
            {
                Standbys = Standbys,
                Engine = Core.Engines.StoreEngines.Parse(Engine),
                Sentinels = Sentinels,
                FaultProxy = FaultProxy,
                WalDiskSize = WalDiskSize is null ? null : SizeText.Parse(WalDiskSize, "-WalDiskSize", Sandbox.MinWalDiskSize,
                    Sandbox.MaxWalDiskSize),
            }));
        options = options with { Synchronous = Synchronous, Monitoring = Monitoring, Root = root, Persistent = true };
        var what = patroni
            ? $"Create a Patroni sandbox: {Members} node(s) ({options.PatroniSettings}), etcd and HAProxy"
            : options.Engine != Core.Engines.StoreEngines.PostgreSql
            ? $"Create a {Engine} sandbox: 1 primary and {Standbys} {(Synchronous ? "semi-synchronous" : "asynchronous")} "
                + $"replica(s){(Sentinels ? ", 3 Sentinels" : "")}"
            : $"Create a PostgreSQL sandbox: 1 primary and {Standbys} {(Synchronous ? "synchronous" : "asynchronous")} "
                + $"standby(s){(FaultProxy ? ", behind a fault proxy" : "")}"
                + (options.WalDiskSize is { } size ? $", pg_wal on a {SizeText.Format(size)} tmpfs each" : "");
        if (!ShouldProcess(root, what)) return;
        WriteObject(RunWithProgress("New-DrSandbox", (progress, token) => Sandbox.CreateAsync(options with { Progress = progress },
            token)));
    }
}
