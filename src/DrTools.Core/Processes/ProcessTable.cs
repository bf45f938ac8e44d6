using System.Runtime.InteropServices;

namespace DrTools.Core.Processes;

/// <summary>
/// Reads /proc. A process killed after pg_ctl daemonized it may linger as a zombie until PID 1 reaps it,
/// so "alive" here means present and not a zombie, never merely kill(pid, 0) succeeding.
/// </summary>
public static partial class ProcessTable
{
    public static bool IsAlive(int pid) => StatFields(pid) is [var state, ..] && state is not ("Z" or "X");

    /// <summary>Stopped by a signal (SIGSTOP): state T.</summary>
    public static bool IsStopped(int pid) => StatFields(pid) is ["T", ..];

    /// <summary>When the process started, in clock ticks since boot (field 22 of /proc/PID/stat); null if it does not exist.</summary>
    public static long? StartTicks(int pid) => StatFields(pid) is { Length: > 19 } fields && long.TryParse(fields[19], out var ticks)
        ? ticks : null;

    /// <summary>The fields of /proc/PID/stat after the command name (state first), or null when there is no such process.</summary>
    private static string[]? StatFields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name is in parentheses and may itself contain spaces and parentheses.
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Living processes whose working directory is <paramref name="directory"/> or below it: every PostgreSQL process runs in its
    /// data directory.</summary>
    public static IReadOnlyList<int> FindByWorkingDirectory(string directory)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        var found = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid) || pid == Environment.ProcessId) continue;
            string? cwd;
            try { cwd = new DirectoryInfo(Path.Combine(entry, "cwd")).LinkTarget; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            if (cwd is null) continue;
            cwd = cwd.EndsWith(" (deleted)", StringComparison.Ordinal) ? cwd[..^10] : cwd;
            if ((cwd == root || cwd.StartsWith(root + "/", StringComparison.Ordinal)) && IsAlive(pid)) found.Add(pid);
        }
        return found;
    }

    /// <summary>Living processes one of whose arguments is exactly <paramref name="argument"/> (from /proc/PID/cmdline).</summary>
    public static IReadOnlyList<int> FindByArgument(string argument)
    {
        var found = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid) || pid == Environment.ProcessId) continue;
            string commandLine;
            try { commandLine = File.ReadAllText(Path.Combine(entry, "cmdline")); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            if (commandLine.Split('\0').Contains(argument) && IsAlive(pid)) found.Add(pid);
        }
        return found;
    }

    /// <summary>Signal numbers on Linux: a clean stop, a thaw, a freeze.</summary>
    public const int SigTerm = 15, SigCont = 18, SigStop = 19;

    public static void Kill(int pid) => Signal(pid, 9);

    /// <summary>Sends a signal by number (2 SIGINT, 9 SIGKILL, 15 SIGTERM); false if the process does not exist.</summary>
    public static bool Signal(int pid, int signal) => kill(pid, signal) == 0;

    /// <summary>SIGKILLs the processes and waits until none is alive; false if some still are at the deadline.</summary>
    public static Task<bool> KillAsync(IReadOnlyCollection<int> pids, TimeSpan timeout)
    {
        foreach (var pid in pids) Kill(pid);
        return WaitForExitAsync(pids, timeout);
    }

    /// <summary>Waits until none of the processes is alive; false if some still are at the deadline.</summary>
    public static Task<bool> WaitForExitAsync(IEnumerable<int> pids, TimeSpan timeout)
    {
        var waiting = pids.ToList();
        return Polling.UntilAsync(() => Task.FromResult(!waiting.Any(IsAlive)), timeout, TimeSpan.FromMilliseconds(20),
            CancellationToken.None);
    }

    /// <summary>
    /// Waits until the processes (each with its <see cref="StartTicks"/>, so a reused PID is not waited for) are gone from
    /// the process table, not only dead: a zombie that PID 1 has not reaped yet still answers kill(pid, 0), and
    /// PostgreSQL's lock-file check takes it for a running postmaster. False if some are still there at the deadline.
    /// </summary>
    public static Task<bool> WaitUntilReapedAsync(IReadOnlyCollection<(int Pid, long? Started)> processes, TimeSpan timeout) =>
        Polling.UntilAsync(() => Task.FromResult(processes.All(p => StartTicks(p.Pid) is not { } ticks || ticks != p.Started)),
            timeout, TimeSpan.FromMilliseconds(50), CancellationToken.None);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
