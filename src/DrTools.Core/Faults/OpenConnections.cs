using System.Globalization;

namespace DrTools.Core.Faults;

/// <summary>TCP sockets of this machine as /proc/net/tcp and tcp6 list them.</summary>
internal static class OpenConnections
{
    private const string Established = "01", Listen = "0A";

    /// <summary>Whether a socket listens on the port.</summary>
    public static bool Listening(int port) => Sockets().Any(s => s.State == Listen && s.Local == port);

    /// <summary>The established connections of these processes: local and remote port of each.</summary>
    public static IReadOnlyList<(int Local, int Remote)> Of(IReadOnlyList<int> processes)
    {
        var inodes = processes.SelectMany(SocketInodes).ToHashSet();
        return Sockets().Where(s => s.State == Established && inodes.Contains(s.Inode)).Select(s => (s.Local,
            s.Remote)).Distinct().ToList();
    }

    private static IEnumerable<string> SocketInodes(int pid)
    {
        string[] descriptors;
        try
        {
            descriptors = Directory.GetFiles($"/proc/{pid}/fd");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (var descriptor in descriptors)
        {
            string? target;
            try { target = new FileInfo(descriptor).LinkTarget; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal)) yield return target[8..^1];
        }
    }

    private static IEnumerable<(int Local, int Remote, string State, string Inode)> Sockets() =>
        new[] { "/proc/net/tcp", "/proc/net/tcp6" }.Where(File.Exists).SelectMany(File.ReadLines)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 9 && f[1].Contains(':'))
            .Select(f => (Port(f[1]), Port(f[2]), f[3], f[9]));

    private static int Port(string address) => int.Parse(address[(address.LastIndexOf(':') + 1)..], NumberStyles.HexNumber,
        CultureInfo.InvariantCulture);
}
