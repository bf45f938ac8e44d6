using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace DrTools.Core.Faults.Proxy;

/// <summary>
/// One listener of the fault proxy: a member's port as clients and standbys reach it, forwarded to the member's own
/// port, with the toxics of the faults on it now. A change of toxics wakes every chunk waiting on the old ones, so a
/// fault's end takes effect at once, not after the delay it imposed.
/// </summary>
internal sealed class ProxyRoute : IDisposable
{
    private readonly Socket _listener;
    private readonly ConcurrentDictionary<ProxyConnection, byte> _connections = new();
    private readonly Lock _lock = new();
    private ProxyToxic[] _toxics = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ProxyRoute(Socket listener, int upstream)
    {
        _listener = listener;
        Upstream = upstream;
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;
    public volatile int Upstream;

    /// <summary>The toxics now, and a task that completes when they change.</summary>
    public (ProxyToxic[] Toxics, Task Changed) Current
    {
        get
        {
            lock (_lock) return (_toxics, _changed.Task);
        }
    }

    /// <summary>Whether no toxic acts on this direction: chunks go straight through.</summary>
    public bool Quiet(ToxicDirection direction) => !Array.Exists(Volatile.Read(ref _toxics), t => t.Acts(direction));

    public ProxyListenerState State => new(Port, Upstream, _connections.Count, Volatile.Read(ref _toxics));

    public void Set(ProxyToxic toxic)
    {
        Change(toxics => [.. toxics.Where(t => t.Id != toxic.Id), toxic]);
        if (toxic.Kind == FaultKind.ResetConnections) ResetAll();
    }

    public int Clear(string id)
    {
        var cleared = 0;
        Change(toxics =>
        {
            cleared = toxics.Count(t => t.Id == id);
            return toxics.Where(t => t.Id != id).ToArray();
        });
        return cleared;
    }

    private void Change(Func<ProxyToxic[], ProxyToxic[]> change)
    {
        TaskCompletionSource previous;
        lock (_lock)
        {
            Volatile.Write(ref _toxics, change(_toxics));
            previous = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        previous.SetResult();
    }

    private bool Resetting => Array.Exists(Volatile.Read(ref _toxics), t => t.Kind == FaultKind.ResetConnections);

    private void ResetAll()
    {
        foreach (var connection in _connections.Keys) connection.Reset();
    }

    public async Task AcceptAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = ServeAsync(client, cancellationToken);
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken cancellationToken)
    {
        if (Resetting)
        {
            ProxyConnection.ResetSocket(client);
            return;
        }
        var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        try
        {
            using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            connectTimeout.CancelAfter(TimeSpan.FromSeconds(10));
            await upstream.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Upstream), connectTimeout.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            // The member is down: the client sees its connection closed, as it would see it refused.
            client.Dispose();
            upstream.Dispose();
            return;
        }
        var connection = new ProxyConnection(client, upstream, this);
        _connections[connection] = 0;
        try
        {
            // A reset toxic set while this connection was being made has missed it.
            if (Resetting) connection.Reset();
            await connection.RunAsync(cancellationToken);
        }
        finally
        {
            _connections.TryRemove(connection, out _);
        }
    }

    /// <summary>How long a chunk that arrived at <paramref name="arrived"/> (Stopwatch timestamp) still waits, or null while a blackhole
    /// holds it.</summary>
    public static TimeSpan? Wait(ProxyToxic[] toxics, ToxicDirection direction, long arrived, double draw, int length,
        ref long bandwidthFree)
    {
        var acting = toxics.Where(t => t.Acts(direction)).ToList();
        if (acting.Exists(t => t.Kind == FaultKind.Blackhole)) return null;
        var delayMs = acting.Where(t => t.Kind is FaultKind.Latency or FaultKind.Jitter).Sum(t => t.DelayMs + draw * t.JitterMs);
        var now = Stopwatch.GetTimestamp();
        var due = arrived + (long)(delayMs * Stopwatch.Frequency / 1000);
        if (acting.Where(t => t.Kind == FaultKind.Bandwidth).Select(t => t.BytesPerSecond).DefaultIfEmpty(0).Min() is var rate and > 0)
        {
            var start = Math.Max(due, Math.Max(bandwidthFree, now));
            bandwidthFree = start + length * Stopwatch.Frequency / rate;
            due = start;
        }
        return due > now ? Stopwatch.GetElapsedTime(now, due) : TimeSpan.Zero;
    }

    public void Dispose()
    {
        _listener.Dispose();
        ResetAll();
    }
}
