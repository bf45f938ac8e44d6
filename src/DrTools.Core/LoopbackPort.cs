using System.Net;
using System.Net.Sockets;

namespace DrTools.Core;

public static class LoopbackPort
{
    private const int Lowest = 10000;

    /// <summary>
    /// How long a port handed out stays reserved on this machine: its server (Patroni after initdb, a node restarted by a
    /// drill) may bind it long after, and until then another DrTools process (a test suite beside another, a drill beside
    /// a sandbox) found it free and handed it out too; one of the two servers then failed to start.
    /// </summary>
    private static readonly TimeSpan ReservedFor = TimeSpan.FromMinutes(10);

    private static readonly Queue<(MachineMutex Reservation, long Until)> Reservations = new();

    /// <summary>
    /// A TCP port on 127.0.0.1 that was free a moment ago, chosen at random below the kernel's ephemeral range: a port
    /// from that range can be taken by any outgoing connection (a probe, a driver) before the server binds it. No other
    /// DrTools process on this machine is handed it for <see cref="ReservedFor"/> while this one runs.
    /// </summary>
    public static int Free()
    {
        var ephemeralStart = EphemeralRangeStart();
        for (var attempt = 0; attempt < 50 && ephemeralStart > Lowest; attempt++)
        {
            var port = Random.Shared.Next(Lowest, ephemeralStart);
            if (Reserve(port) is not { } reservation) continue;
            if (TryBind(port)) return port;
            reservation.Dispose();
        }
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Reserves <paramref name="port"/> machine-wide for <see cref="ReservedFor"/>, or null when it is reserved.</summary>
    private static MachineMutex? Reserve(int port)
    {
        if (MachineMutex.TryAcquire($"port-{port}") is not { } reservation) return null;
        lock (Reservations)
        {
            var now = Environment.TickCount64;
            while (Reservations.TryPeek(out var oldest) && oldest.Until <= now) Reservations.Dequeue().Reservation.Dispose();
            Reservations.Enqueue((reservation, now + (long)ReservedFor.TotalMilliseconds));
        }
        return reservation;
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
