using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using DrTools.Core.Processes;

namespace DrTools.Core.Faults.Proxy;

/// <summary>Starts a fault proxy and gives it orders through its control socket.</summary>
public sealed class FaultProxyControl(string controlSocket)
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    public string ControlSocket => controlSocket;

    /// <summary>Whether the proxy is there to take orders (its socket exists; it is removed with its sandbox).</summary>
    public bool Exists => File.Exists(controlSocket);

    /// <summary>Starts the proxy as a service in <paramref name="serviceDirectory"/> (stopped and found by it, like any sandbox service)
    /// and waits until it takes orders.</summary>
    public static async Task<FaultProxyControl> StartAsync(string description, string serviceDirectory, string controlSocket,
        CancellationToken cancellationToken)
    {
        var log = Path.Combine(serviceDirectory, "fault-proxy.log");
        ServiceHost.Start(description, serviceDirectory, log, ["fault-proxy", controlSocket]);
        var proxy = new FaultProxyControl(controlSocket);
        await Polling.RequireAsync(async () =>
        {
            try
            {
                await proxy.ListAsync(cancellationToken);
                return true;
            }
            catch (DrToolsException)
            {
                return false;
            }
        }, StartTimeout, TimeSpan.FromMilliseconds(25), ()
            => $"{description}: the fault proxy took no orders within {DurationText.Format(StartTimeout)}: "
            + $"{ServiceProcess.LastLines(log)}", cancellationToken);
        return proxy;
    }

    /// <summary>Starts forwarding a new port (or, given one already listening, moves it to a new upstream); returns the port.</summary>
    public async Task<int> ListenAsync(int upstream, int? port, CancellationToken cancellationToken) =>
        (await SendAsync(new ProxyRequest("listen") { Upstream = upstream, Port = port }, cancellationToken)).Port!.Value;

    public Task SetAsync(int port, ProxyToxic toxic, CancellationToken cancellationToken) =>
        SendAsync(new ProxyRequest("set") { Port = port, Toxic = toxic }, cancellationToken);

    /// <summary>Removes a fault's toxic; returns from how many listeners.</summary>
    public async Task<int> ClearAsync(string id, CancellationToken cancellationToken) =>
        (await SendAsync(new ProxyRequest("clear") { Id = id }, cancellationToken)).Cleared ?? 0;

    public async Task<IReadOnlyList<ProxyListenerState>> ListAsync(CancellationToken cancellationToken) =>
        (await SendAsync(new ProxyRequest("list"), cancellationToken)).Listeners ?? [];

    private async Task<ProxyReply> SendAsync(ProxyRequest request, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(AnswerTimeout);
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(controlSocket), timeout.Token);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            await stream.WriteAsync(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(request, ProxyJson.Options) + "\n"), timeout.Token);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var line = await reader.ReadLineAsync(timeout.Token)
                ?? throw new IOException("it closed the control connection without an answer");
            var reply = JsonSerializer.Deserialize<ProxyReply>(line, ProxyJson.Options) ?? throw new IOException("empty answer");
            return reply.Ok ? reply : throw new DrToolsException($"the fault proxy refused '{request.Op}': {reply.Error}",
                DrErrorKind.InvalidOperation);
        }
        catch (Exception e) when (e is SocketException or IOException or JsonException || (e is OperationCanceledException
            && !cancellationToken.IsCancellationRequested))
        {
            throw new DrToolsException($"the fault proxy at {controlSocket} does not answer: "
                + $"{(e is OperationCanceledException ? $"no answer within {DurationText.Format(AnswerTimeout)}" : e.Message)}",
                DrErrorKind.InvalidOperation);
        }
    }
}
