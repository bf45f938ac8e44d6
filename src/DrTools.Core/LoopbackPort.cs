using System.Globalization;
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
            if (!Claimed(port) && TryBind(port)) return port;
            reservation.Dispose();
        }
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// Where a sandbox's servers' ports are claimed for as long as its folder exists: a member a drill killed leaves its port
    /// free until the drill starts it again, and another process handed that port meanwhile lost it (a metrics service, a
    /// Patroni node that exited at start). One file a port, naming the folder.
    /// </summary>
    private static string ClaimFolder =>
        Environment.IsPrivilegedProcess ? "/run/drtools/ports"
        : Path.Combine(Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime ? runtime : Path.GetTempPath(),
            $"drtools-ports-{Environment.UserName}");

    /// <summary>Claims <paramref name="ports"/> for the sandbox in <paramref name="owner"/> while that folder exists.</summary>
    internal static void Claim(IEnumerable<int> ports, string owner)
    {
        AtomicFile.MakeFolder(ClaimFolder, "the folder of sandboxes' port claims");
        foreach (var port in ports) AtomicFile.Write(Path.Combine(ClaimFolder, port.ToString(CultureInfo.InvariantCulture)), owner);
    }

    /// <summary>Gives up the claims <paramref name="owner"/> holds on <paramref name="ports"/> (its folder is being removed).</summary>
    internal static void Release(IEnumerable<int> ports, string owner)
    {
        foreach (var port in ports)
        {
            var claim = Path.Combine(ClaimFolder, port.ToString(CultureInfo.InvariantCulture));
            if (ClaimOwner(claim) == owner) File.Delete(claim);
        }
    }

    /// <summary>Whether a sandbox that still exists claims <paramref name="port"/>.</summary>
    internal static bool Claimed(int port) =>
        ClaimOwner(Path.Combine(ClaimFolder, port.ToString(CultureInfo.InvariantCulture))) is { } owner && Directory.Exists(owner);

    private static string? ClaimOwner(string claim)
    {
        try
        {
            return File.Exists(claim) ? File.ReadAllText(claim) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
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
