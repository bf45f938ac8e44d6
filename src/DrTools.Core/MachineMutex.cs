using System.Net.Sockets;

namespace DrTools.Core;

/// <summary>
/// A named lock that one process of this machine holds at a time: an abstract Unix socket bound under the name, which the
/// kernel frees when the process ends however it ends (no file is left for cleanup to find, none is ever stale).
/// </summary>
public sealed class MachineMutex : IDisposable
{
    private readonly Socket _socket;

    private MachineMutex(Socket socket) => _socket = socket;

    /// <summary>The lock named <paramref name="name"/>, or null when a process (this one included) holds it.</summary>
    public static MachineMutex? TryAcquire(string name)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint($"\0drtools-{name}"));
            return new MachineMutex(socket);
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }

    /// <summary>Waits until the lock named <paramref name="name"/> is free and takes it; at most <paramref name="timeout"/>.</summary>
    public static async Task<MachineMutex> AcquireAsync(string name, TimeSpan timeout, Func<string> timedOut,
        CancellationToken cancellationToken)
    {
        MachineMutex? held = null;
        await Polling.RequireAsync(() => Task.FromResult((held = TryAcquire(name)) is not null), timeout, TimeSpan.FromMilliseconds(20),
            timedOut, cancellationToken);
        return held!;
    }

    public void Dispose() => _socket.Dispose();
}
