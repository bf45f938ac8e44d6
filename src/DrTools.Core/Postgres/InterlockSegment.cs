using System.Globalization;
using System.Runtime.InteropServices;

namespace DrTools.Core.Postgres;

/// <summary>
/// The System V shared memory segment a postmaster keeps as its interlock, named (key and id) on postmaster.pid's seventh
/// line. PostgreSQL removes a killed postmaster's segment only when it starts again in that folder with that lock file: a
/// stale lock file deleted, or the folder removed, leaked one segment per killed server (and, through it, its dynamic
/// shared memory) until the machine restarted.
/// </summary>
internal static partial class InterlockSegment
{
    private const int IpcRmid = 0;

    /// <summary>The segment postmaster.pid in <paramref name="dataDirectory"/> names, or null when it names none.</summary>
    public static (long Key, int Id)? Of(string dataDirectory)
    {
        try
        {
            var line = File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).Skip(6).FirstOrDefault();
            var fields = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
            return fields.Length == 2 && long.TryParse(fields[0], CultureInfo.InvariantCulture, out var key)
                && int.TryParse(fields[1], CultureInfo.InvariantCulture, out var id) && key != 0
                ? (key, id) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Removes the segment if it still exists under that key and no process is attached to it: its id may since name another
    /// server's segment, and a server that still runs keeps its own.
    /// </summary>
    public static void ReleaseIfUnused((long Key, int Id) segment)
    {
        foreach (var row in File.ReadLines("/proc/sysvipc/shm").Skip(1))
        {
            // key shmid perms size cpid lpid nattch …
            var fields = row.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 6 && fields[0] == segment.Key.ToString(CultureInfo.InvariantCulture)
                && fields[1] == segment.Id.ToString(CultureInfo.InvariantCulture) && fields[6] == "0")
            {
                // Failing (another account's segment) leaves it as PostgreSQL would have: nothing else depends on it.
                _ = shmctl(segment.Id, IpcRmid, IntPtr.Zero);
                return;
            }
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int shmctl(int shmid, int cmd, IntPtr buffer);
}
