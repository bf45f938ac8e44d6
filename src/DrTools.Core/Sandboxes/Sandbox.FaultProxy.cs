using DrTools.Core.Faults.Proxy;

namespace DrTools.Core.Sandboxes;

// A sandbox created with a fault proxy: one proxy process (a service in services/fault-proxy) with a listener in front
// of each member, which clients and standbys connect to, so Latency, Jitter, Bandwidth, ResetConnections and
// Blackhole faults reach all of a member's traffic.
public sealed partial class Sandbox
{
    public bool FaultProxy => _manifest.FaultProxy;

    /// <summary>The proxy's control socket, only its user can open it.</summary>
    public string FaultProxySocket => Path.Combine(SocketDirectory, "fault-proxy.sock");

    private FaultProxyControl ProxyControl => new(FaultProxySocket);

    /// <summary>What the fault proxy forwards now: each member's listener, its connections and the toxics of the faults on it.</summary>
    public Task<IReadOnlyList<ProxyListenerState>> FaultProxyStateAsync(CancellationToken cancellationToken) =>
        FaultProxy ? ProxyControl.ListAsync(cancellationToken) : Task.FromResult<IReadOnlyList<ProxyListenerState>>([]);

    private async Task StartFaultProxyAsync(IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        progress.Enter("starting the fault proxy", 2);
        EnsureSocketRoot();
        System.IO.Directory.CreateDirectory(SocketDirectory);
        File.SetUnixFileMode(SocketDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var folder = ServiceDirectory(Directory, "fault-proxy");
        System.IO.Directory.CreateDirectory(folder);
        Record(_manifest with { FaultProxy = true });
        await FaultProxyControl.StartAsync($"fault proxy of sandbox {Id}", folder, FaultProxySocket, cancellationToken);
    }
}
