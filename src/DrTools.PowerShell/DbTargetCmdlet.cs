using System.Management.Automation;
using DrTools.Core.Postgres;
using DrTools.Core.Sandboxes;

namespace DrTools.PowerShell;

/// <summary>Base of the cmdlets that work on a cluster: the members by connection string (with an optional credential) or a sandbox.</summary>
public abstract class DbTargetCmdlet : DrCmdlet
{
    protected const string ConnectionSet = "ConnectionString";
    protected const string SandboxSet = "Sandbox";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ConnectionSet, HelpMessage = "One Npgsql connection string per cluster member, e.g. 'Host=db1;Port=5432;Username=dr;Database=postgres'.")]
    [ValidateNotNullOrEmpty]
    public string[] ConnectionString { get; set; } = [];

    [Parameter(ParameterSetName = ConnectionSet, HelpMessage = "User name and password for every member; overrides those in the connection strings.")]
    [Credential]
    public PSCredential? Credential { get; set; }

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = SandboxSet, HelpMessage = "A sandbox from New-DrSandbox.")]
    public Sandbox? Sandbox { get; set; }

    [Parameter(ParameterSetName = ConnectionSet, HelpMessage = "How long to wait for each member to answer before reporting it unreachable, e.g. 5s (default 10s).")]
    [DurationTransformation(Positive = true)]
    public TimeSpan ConnectTimeout { get; set; } = DbMember.DefaultConnectTimeout;

    /// <param name="allowDrillOn">Endpoints the user explicitly allowed destructive drills on.</param>
    protected DbTarget ResolveTarget(IReadOnlyCollection<string>? allowDrillOn = null)
    {
        if (Sandbox is not null) return Sandbox.Target;
        var network = Credential?.GetNetworkCredential();
        return DbTarget.FromConnectionStrings(ConnectionString, network?.UserName is { Length: > 0 } user ? user : null, network?.Password, ConnectTimeout, allowDrillOn);
    }

    /// <summary>The target run by the Patroni whose REST APIs the user gave (-Patroni), or as it is.</summary>
    protected static DbTarget WithPatroni(DbTarget target, string[]? restApis) =>
        restApis is null ? target : target with { HaManager = Core.Patroni.PatroniManager.Parse(restApis) };

    /// <summary>Runs a Core operation on the resolved target; errors in the parameters themselves are reported the same way.</summary>
    protected T RunOnTarget<T>(Func<DbTarget, CancellationToken, Task<T>> operation) =>
        RunOperation(token => operation(ResolveTarget(), token), Sandbox);
}
