using System.Net;
using System.Net.Sockets;

namespace DrTools.Core.Tests;

/// <summary>
/// A TCP endpoint in front of servers on 127.0.0.1, as a proxy is: each new connection goes to the port <see cref="Route"/>
/// names then; <see cref="CloseOpen"/> shuts the sessions open, as HAProxy's on-marked-down shutdown-sessions does.
/// </summary>
internal sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _open = [];
    /// <summary>Counts <see cref="CloseOpen"/> calls: a connection accepted before one is closed too, even if its relay to the
    /// server was still being set up (it was not, and wrote to a writer the test had left behind).</summary>
    private int _generation;
    private readonly Task _accepting;

    public TcpRelay(Func<int> route)
    {
        Route = route;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Func<int> Route { get; set; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void CloseOpen()
    {
        lock (_open)
        {
            _generation++;
            foreach (var client in _open) client.Dispose();
            _open.Clear();
        }
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            int generation;
            lock (_open) generation = _generation;
            var port = Route();
            _ = Task.Run(() => RelayAsync(client, port, generation));
        }
    }

    private async Task RelayAsync(TcpClient client, int port, int generation)
    {
        using var server = new TcpClient();
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, port, _stop.Token);
            lock (_open)
            {
                if (generation != _generation) return;
                _open.AddRange([client, server]);
            }
            await Task.WhenAny(client.GetStream().CopyToAsync(server.GetStream(), _stop.Token),
                server.GetStream().CopyToAsync(client.GetStream(), _stop.Token));
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A session shut by the test or by either end: the other end sees its connection close.
        }
        finally
        {
            client.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        CloseOpen();
        await _accepting;
        _stop.Dispose();
    }
}
