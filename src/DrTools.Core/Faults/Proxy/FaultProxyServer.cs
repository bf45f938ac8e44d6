using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace DrTools.Core.Faults.Proxy;

/// <summary>
/// DrTools' TCP fault proxy, as Toxiproxy is one: listeners on 127.0.0.1 in front of members, each forwarding to its
/// member, with latency, jitter, a bandwidth cap, resets or a blackhole applied while a fault holds. Runs as a
/// sandbox's service (so outliving the process that made the sandbox) and takes its orders as JSON lines on a Unix
/// socket only its user can open.
/// </summary>
public static class FaultProxyServer
{
    public static async Task RunAsync(string controlSocket, CancellationToken cancellationToken)
    {
        var routes = new ConcurrentDictionary<int, ProxyRoute>();
        File.Delete(controlSocket);
        using var control = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        control.Bind(new UnixDomainSocketEndPoint(controlSocket));
        File.SetUnixFileMode(controlSocket, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        control.Listen(16);
        Console.WriteLine($"{DateTimeOffset.UtcNow:O} fault proxy listening for orders on {controlSocket}");
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var client = await control.AcceptAsync(cancellationToken);
                _ = AnswerAsync(client, routes, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // SIGTERM: the sandbox is being removed.
        }
        finally
        {
            foreach (var route in routes.Values) route.Dispose();
            File.Delete(controlSocket);
        }
    }

    private static async Task AnswerAsync(Socket client, ConcurrentDictionary<int, ProxyRoute> routes, CancellationToken cancellationToken)
    {
        using var stream = new NetworkStream(client, ownsSocket: true);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        await using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
        try
        {
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                ProxyReply reply;
                try
                {
                    reply = Answer(JsonSerializer.Deserialize<ProxyRequest>(line, ProxyJson.Options)
                        ?? throw new JsonException("empty request"), routes, cancellationToken);
                }
                catch (Exception e) when (e is JsonException or SocketException or ArgumentException)
                {
                    reply = new ProxyReply(false) { Error = e.Message };
                }
                Console.WriteLine($"{DateTimeOffset.UtcNow:O} {line} -> {(reply.Ok ? "ok" : reply.Error)}");
                await writer.WriteLineAsync(JsonSerializer.Serialize(reply, ProxyJson.Options));
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // The controlling process went away mid-request.
        }
    }

    private static ProxyReply Answer(ProxyRequest request, ConcurrentDictionary<int, ProxyRoute> routes,
        CancellationToken cancellationToken)
    {
        ProxyRoute Route(int? port) => port is { } p && routes.TryGetValue(p, out var route) ? route
            : throw new ArgumentException($"no listener on port {port}");
        switch (request.Op)
        {
            case "listen":
                var upstream = request.Upstream ?? throw new ArgumentException("listen needs upstream");
                if (request.Port is { } existing && routes.TryGetValue(existing, out var moved))
                {
                    moved.Upstream = upstream;
                    return new ProxyReply(true) { Port = existing };
                }
                var created = new ProxyRoute(Bind(request.Port), upstream);
                routes[created.Port] = created;
                _ = created.AcceptAsync(cancellationToken);
                return new ProxyReply(true) { Port = created.Port };
            case "set":
                var toxic = request.Toxic ?? throw new ArgumentException("set needs a toxic");
                Route(request.Port).Set(toxic);
                return new ProxyReply(true);
            case "clear":
                return new ProxyReply(true) { Cleared = routes.Values.Sum(r => r.Clear(request.Id
                    ?? throw new ArgumentException("clear needs an id"))) };
            case "list":
                return new ProxyReply(true) { Listeners = routes.Values.OrderBy(r => r.Port).Select(r => r.State).ToList() };
            default:
                throw new ArgumentException($"unknown op '{request.Op}' (listen, set, clear, list)");
        }
    }

    /// <summary>The port asked for, or a free one below the ephemeral range (where no outgoing connection can take it first).</summary>
    private static Socket Bind(int? port)
    {
        for (var attempt = 1; ; attempt++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Loopback, port ?? LoopbackPort.Free()));
                socket.Listen(512);
                return socket;
            }
            catch (SocketException) when (port is null && attempt < 10)
            {
                socket.Dispose();
            }
        }
    }
}
