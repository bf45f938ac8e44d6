using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DrTools.Core.Faults;
using DrTools.Core.Faults.Proxy;

namespace DrTools.Core.Tests;

/// <summary>The fault proxy's delays against the clock a client reads: never shorter than the fault says.</summary>
public sealed class ProxyTimingTests
{
    [Fact]
    public async Task A_latency_delays_every_round_trip_by_at_least_twice_its_delay()
    {
        using var folder = new TemporaryRoot();
        using var stop = new CancellationTokenSource();
        using var echo = new TcpListener(IPAddress.Loopback, 0);
        echo.Start();
        var echoing = EchoAsync(echo, stop.Token);
        var socket = Path.Combine(folder.Path, "proxy.sock");
        var proxy = FaultProxyServer.RunAsync(socket, stop.Token);
        var control = new FaultProxyControl(socket);
        await Polling.RequireAsync(() => Task.FromResult(control.Exists), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(10),
            () => "no proxy", CancellationToken.None);
        var port = await control.ListenAsync(((IPEndPoint)echo.LocalEndpoint).Port, null, CancellationToken.None);
        await control.SetAsync(port, new ProxyToxic("latency-1", FaultKind.Latency) { DelayMs = 7 }, CancellationToken.None);

        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        var buffer = new byte[1];
        var shortest = TimeSpan.MaxValue;
        for (var i = 0; i < 200; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await stream.WriteAsync(new byte[] { (byte)i });
            await stream.ReadExactlyAsync(buffer);
            var roundTrip = Stopwatch.GetElapsedTime(started);
            if (roundTrip < shortest) shortest = roundTrip;
        }
        Assert.True(shortest >= TimeSpan.FromMilliseconds(14),
            $"the shortest of 200 round trips took {shortest.TotalMilliseconds:0.000} ms with 7 ms each way");

        await stop.CancelAsync();
        client.Dispose();
        await proxy;
        await echoing;
    }

    private static async Task EchoAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        try
        {
            using var accepted = await listener.AcceptSocketAsync(cancellationToken);
            var buffer = new byte[1024];
            while (await accepted.ReceiveAsync(buffer, SocketFlags.None, cancellationToken) is var length and > 0)
                await accepted.SendAsync(buffer.AsMemory(0, length), SocketFlags.None, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The test is over.
        }
    }
}
