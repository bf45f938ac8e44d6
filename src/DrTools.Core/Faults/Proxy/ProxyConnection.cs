using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Channels;

namespace DrTools.Core.Faults.Proxy;

/// <summary>
/// A client's connection through the proxy and its connection to the member, each direction pumped on its own. With
/// no toxic on a direction a chunk is sent as it is read; otherwise it is queued with the time it arrived, and sent in
/// order when the toxics allow — so latency delays every chunk once, as a slow link does, instead of adding up.
/// </summary>
internal sealed class ProxyConnection(Socket client, Socket upstream, ProxyRoute route)
{
    private const int ChunkSize = 64 * 1024;
    /// <summary>Chunks queued per direction before reading stops, so a held direction pushes back on its sender as TCP would.</summary>
    private const int QueuedChunks = 64;

    private readonly CancellationTokenSource _closed = new();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closed.Token);
        try
        {
            var toMember = PumpAsync(client, upstream, ToxicDirection.ToMember, linked.Token);
            var fromMember = PumpAsync(upstream, client, ToxicDirection.FromMember, linked.Token);
            // Either side failing ends both; an orderly close of one side is passed on and the other keeps going.
            var first = await Task.WhenAny(toMember, fromMember);
            if (!await first) _closed.Cancel();
            await Task.WhenAll(toMember, fromMember);
        }
        finally
        {
            client.Dispose();
            upstream.Dispose();
            _closed.Dispose();
        }
    }

    /// <summary>Closes both sides with a TCP reset, as a broken connection looks to a client.</summary>
    public void Reset()
    {
        ResetSocket(client);
        ResetSocket(upstream);
    }

    public static void ResetSocket(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed: nothing to reset.
        }
        socket.Dispose();
    }

    private readonly record struct Chunk(byte[] Buffer, int Length, long Arrived, double Draw);

    /// <returns>True when the sender closed its side in order, false when the connection broke.</returns>
    private async Task<bool> PumpAsync(Socket from, Socket to, ToxicDirection direction, CancellationToken cancellationToken)
    {
        var queue = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(QueuedChunks) { SingleReader = true, SingleWriter = true });
        var queued = 0;
        var sender = SendQueuedAsync(queue.Reader, to, direction, () => Interlocked.Decrement(ref queued), cancellationToken);
        var buffer = new byte[ChunkSize];
        try
        {
            while (true)
            {
                var length = await from.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                if (length == 0) break;
                if (Volatile.Read(ref queued) == 0 && route.Quiet(direction))
                {
                    await to.SendAsync(buffer.AsMemory(0, length), SocketFlags.None, cancellationToken);
                    continue;
                }
                var copy = ArrayPool<byte>.Shared.Rent(length);
                buffer.AsSpan(0, length).CopyTo(copy);
                Interlocked.Increment(ref queued);
                await queue.Writer.WriteAsync(new Chunk(copy, length, Stopwatch.GetTimestamp(), Random.Shared.NextDouble()),
                    cancellationToken);
            }
            queue.Writer.Complete();
            await sender;
            to.Shutdown(SocketShutdown.Send);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException or ChannelClosedException)
        {
            queue.Writer.TryComplete();
            _closed.Cancel();
            try
            {
                await sender;
            }
            catch (Exception ignored) when (ignored is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The connection is gone either way.
            }
            return false;
        }
    }

    private async Task SendQueuedAsync(ChannelReader<Chunk> queue, Socket to, ToxicDirection direction, Action sent,
        CancellationToken cancellationToken)
    {
        long bandwidthFree = 0;
        await foreach (var chunk in queue.ReadAllAsync(cancellationToken))
        {
            try
            {
                while (true)
                {
                    var (toxics, changed) = route.Current;
                    var free = bandwidthFree;
                    var wait = ProxyRoute.Wait(toxics, direction, chunk.Arrived, chunk.Draw, chunk.Length, ref free);
                    if (wait == TimeSpan.Zero)
                    {
                        bandwidthFree = free;
                        break;
                    }
                    // A timer may fire up to a tick early and counts whole milliseconds: it is asked again until the
                    // clock the delay was set on says the chunk is due, so no chunk goes out before its time.
                    var delay = wait is { } due
                        ? Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(due.TotalMilliseconds)), cancellationToken)
                        : Task.Delay(Timeout.Infinite, cancellationToken);
                    await Task.WhenAny(delay, changed);
                    cancellationToken.ThrowIfCancellationRequested();
                }
                await to.SendAsync(chunk.Buffer.AsMemory(0, chunk.Length), SocketFlags.None, cancellationToken);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk.Buffer);
                sent();
            }
        }
    }
}
