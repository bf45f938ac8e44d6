using System.Net;
using System.Net.Sockets;

namespace DrTools.Core;

public static class LoopbackPort
{
    private const int Lowest = 10000;

    /// <summary>
    /// A TCP port on 127.0.0.1 that was free a moment ago, chosen at random below the kernel's ephemeral range: a port
    /// from that range can be taken by any outgoing connection (a probe, a driver) before the server binds it.
    /// </summary>
    public static int Free()
    {
        var ephemeralStart = EphemeralRangeStart();
        for (var attempt = 0; attempt < 50 && ephemeralStart > Lowest; attempt++)
        {
            var port = Random.Shared.Next(Lowest, ephemeralStart);
            if (TryBind(port)) return port;
        }
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool TryBind(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int EphemeralRangeStart()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'],
                StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return 32768; // Linux's default
        }
    }
}
