using System.Management.Automation;
using DrTools.Core.Postgres;
using DrTools.Core.Sandboxes;

namespace DrTools.PowerShell;

/// <summary>Base of the cmdlets that work on a cluster: the members by connection string (with an optional credential) or a
/// sandbox.</summary>
public abstract class DbTargetCmdlet : DrCmdlet
{
    protected const string ConnectionSet = "ConnectionString";
    protected const string SandboxSet = "Sandbox";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ConnectionSet,
        HelpMessage = "One connection string per cluster member: Npgsql's ('Host=db1;Port=5432;Username=dr;Database=postgres'), with "
        + "-Engine MariaDB MySqlConnector's ('Server=db1;Port=3306;User ID=dr'), with -Engine Redis an address ('redis://db1:6379').")]
    [ValidateNotNullOrEmpty]
    public string[] ConnectionString { get; set; } = [];

    [Parameter(ParameterSetName = ConnectionSet,
        HelpMessage = "User name and password for every member; overrides those in the connection strings.")]
    [Credential]
    public PSCredential? Credential { get; set; }

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = SandboxSet,
        HelpMessage = "A sandbox from New-DrSandbox or Get-DrSandbox.")]
    [SandboxTransformation]
    public Sandbox? Sandbox { get; set; }

    [Parameter(ParameterSetName = ConnectionSet,
        HelpMessage = "The store the connection strings reach: PostgreSQL (the default), MariaDB or Redis. A sandbox knows its own.")]
    [ValidateSet("PostgreSQL", "MariaDB", "Redis", IgnoreCase = true)]
    public string Engine { get; set; } = "PostgreSQL";

    [Parameter(HelpMessage = "How long to wait for each member (a sandbox's too) to answer before reporting it unreachable, e.g. 5s "
        + "(default 10s).")]
    [DurationTransformation(Positive = true)]
    public TimeSpan ConnectTimeout { get; set; } = DbMember.DefaultConnectTimeout;

    /// <param name="allowDrillOn">Endpoints the user explicitly allowed destructive drills on.</param>
    protected DbTarget ResolveTarget(IReadOnlyCollection<string>? allowDrillOn = null)
    {
        if (Sandbox is not null) return Sandbox.TargetWithin(ConnectTimeout);
        if (Core.Engines.StoreEngines.Parse(Engine) != Core.Engines.StoreEngines.PostgreSql)
        {
            throw new Core.DrToolsException($"{MyInvocation.MyCommand.Name} works on PostgreSQL clusters; -Engine {Engine} is not "
                + $"supported by it.", Core.DrErrorKind.InvalidArgument);
        }
        var network = Credential?.GetNetworkCredential();
        return DbTarget.FromConnectionStrings(ConnectionString, network?.UserName is { Length: > 0 } user ? user : null, network?.Password,
            ConnectTimeout, allowDrillOn);
    }

    /// <summary>The cluster of any engine: the sandbox's, or the connection strings' under -Engine.</summary>
    protected Core.Engines.IDrillTarget ResolveStore(IReadOnlyCollection<string>? allowDrillOn = null)
    {
        if (Sandbox is not null) return Sandbox.ClusterWithin(ConnectTimeout);
        var network = Credential?.GetNetworkCredential();
        return Core.Engines.Stores.FromConnectionStrings(Engine, ConnectionString, network?.UserName is { Length: > 0 } user ? user : null,
            network?.Password, ConnectTimeout, allowDrillOn);
    }

    /// <summary>Runs a Core operation on the resolved cluster of any engine.</summary>
    protected T RunOnStore<T>(Func<Core.Engines.IDrillTarget, CancellationToken, Task<T>> operation) =>
        RunOperation(token => operation(ResolveStore(), token), Sandbox);

    /// <summary>The target run by the Patroni whose REST APIs the user gave (-Patroni), or as it is.</summary>
    protected static DbTarget WithPatroni(DbTarget target, string[]? restApis) =>
        restApis is null ? target : target with { HaManager = Core.Patroni.PatroniManager.Parse(restApis) };

    /// <summary>Runs a Core operation on the resolved target; errors in the parameters themselves are reported the same way.</summary>
    protected T RunOnTarget<T>(Func<DbTarget, CancellationToken, Task<T>> operation) =>
        RunOperation(token => operation(ResolveTarget(), token), Sandbox);
}
