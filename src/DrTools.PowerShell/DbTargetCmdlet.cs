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

    [Parameter(
        Mandatory = true,
        Position = 0,
        ParameterSetName = ConnectionSet
    )]
    [ValidateNotNullOrEmpty]
    public string[] ConnectionString { get; set; } = [];

    [Parameter(ParameterSetName = ConnectionSet)]
    [Credential]
    public PSCredential? Credential { get; set; }

    [Parameter(
        Mandatory = true,
        ValueFromPipeline = true,
        ParameterSetName = SandboxSet
    )]
    [SandboxTransformation]
    public Sandbox? Sandbox { get; set; }

    [Parameter(ParameterSetName = ConnectionSet)]
    [ValidateSet("PostgreSQL", "MariaDB", "Redis", IgnoreCase = true)]
    public string Engine { get; set; } = "PostgreSQL";

    [Parameter]
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
