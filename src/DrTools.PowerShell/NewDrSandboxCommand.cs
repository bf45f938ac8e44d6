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

    [Parameter(
        Position = 0,
        ParameterSetName = StreamingSet
    )]
    [ValidateRange(0, 8)]
    public int Standbys { get; set; } = 1;

    [Parameter(
        Mandatory = true,
        ParameterSetName = PatroniSet
    )]
    [ValidateSet(nameof(SandboxTopology.Streaming), nameof(SandboxTopology.Patroni))]
    public string Topology { get; set; } = nameof(SandboxTopology.Streaming);

    [Parameter(ParameterSetName = PatroniSet)]
    [ValidateRange(1, 9)]
    public int Members { get; set; } = 3;

    [Parameter(ParameterSetName = PatroniSet)]
    public string[]? PatroniSetting { get; set; }

    [Parameter(ParameterSetName = StreamingSet)]
    public SwitchParameter FaultProxy { get; set; }

    [Parameter(ParameterSetName = StreamingSet)]
    public string? WalDiskSize { get; set; }

    [Parameter]
    public SwitchParameter Monitoring { get; set; }

    [Parameter]
    public SwitchParameter Synchronous { get; set; }

    [Parameter(ParameterSetName = StreamingSet)]
    [ValidateSet("PostgreSQL", "MariaDB", "Redis", IgnoreCase = true)]
    public string Engine { get; set; } = "PostgreSQL";

    [Parameter(ParameterSetName = StreamingSet)]
    public SwitchParameter Sentinels { get; set; }

    [Parameter]
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
