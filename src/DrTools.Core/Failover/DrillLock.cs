using DrTools.Core.Engines;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Failover;

/// <summary>
/// One drill at a time per target: two drills on one cluster would each promote and restart members the other relies
/// on (a split brain). A sandbox is locked by flock on a file in its folder; any other target on its servers
/// (<see cref="IDrillTarget.LockDrillsAsync"/>), so that drills from other machines are excluded too. Either lock dies
/// with the process that holds it.
/// </summary>
public static class DrillLock
{
    public const string FileName = "drill.lock";
    /// <summary>Beside the lock: who holds it, for the drill that is refused (a flocked file cannot be read by others).</summary>
    public const string HolderFileName = "drill.holder";

    /// <summary>Takes the lock for a drill on <paramref name="target"/>, or refuses in one line naming the drill that holds it.</summary>
    /// <param name="drill">What the drill does, for whoever is refused.</param>
    public static async Task<IAsyncDisposable> AcquireAsync(IDrillTarget target, Sandbox? sandbox, string drill,
        CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        var holder = $"pid {Environment.ProcessId} ({ProcessName}) on {Environment.MachineName}, started {started}Z: {drill}";
        return sandbox is null
            ? await target.LockDrillsAsync(holder, cancellationToken)
            : LockFolder(target, sandbox.Directory, holder);
    }

    /// <summary>The pid and program of this process as a server-side lock names its holder (PostgreSQL's application_name).</summary>
    public static string ShortHolder => $"drtools drill pid {Environment.ProcessId}@{Environment.MachineName}";

    /// <summary>drtools, pwsh …: the program, not the runtime that hosts it.</summary>
    private static string ProcessName =>
        System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name ?? Path.GetFileName(Environment.ProcessPath) ?? "unknown";

    public static DrToolsException Refused(IDrillTarget target, string holder) => DrToolsException.RefusedAfter(
        $"drill on {target.Name} refused: another drill holds it ({holder}). One drill at a time per target");

    private static IAsyncDisposable LockFolder(IDrillTarget target, string directory, string holder)
    {
        var lockFile = Path.Combine(directory, FileName);
        var holderFile = Path.Combine(directory, HolderFileName);
        FileStream file;
        try
        {
            // On Unix, FileShare.None is flock(LOCK_EX | LOCK_NB), released by the kernel when this process ends however
            // it ends; the descriptor is close-on-exec, so servers the drill starts do not inherit it.
            file = new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (Exception e) when (AtomicFile.IsDiskProblem(e) || e is UnauthorizedAccessException)
        {
            throw AtomicFile.Failure("lock", lockFile, e);
        }
        catch (IOException)
        {
            throw Refused(target, ReadHolder(holderFile));
        }
        try
        {
            AtomicFile.Write(holderFile, holder + "\n");
        }
        catch
        {
            // Not half-taken: a lock whose note could not be written is let go at once (in a PowerShell session the
            // process, and so the flock, would live on). The empty lock file stays, as after every drill: removing a
            // lock file that another drill may have opened meanwhile would let two drills each hold one.
            file.Dispose();
            throw;
        }
        return new Released(() =>
        {
            File.Delete(holderFile);
            file.Dispose();
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// Who holds the folder's lock: the holder writes it just after taking the lock, so a drill refused in that moment
    /// (or finding the note of a drill that since ended) waits a little for the note of a live process.
    /// </summary>
    private static string ReadHolder(string holderFile)
    {
        var deadline = Environment.TickCount64 + 5000;
        while (true)
        {
            string? note = null;
            try
            {
                note = File.ReadAllText(holderFile).Trim();
            }
            catch (IOException)
            {
                // not written yet, or being replaced
            }
            var pid = note is null ? null : System.Text.RegularExpressions.Regex.Match(note, @"^pid (\d+) ");
            if (pid is { Success: true } && Directory.Exists($"/proc/{pid.Groups[1].Value}")) return note!;
            if (Environment.TickCount64 > deadline) return note ?? "a process that has not yet said who it is";
            Thread.Sleep(20);
        }
    }

    /// <summary>
    /// The lock taken member by member, each on a connection of its own held for the drill, in one order for every drill
    /// (two drills never each hold a part): refused when any member says another drill holds it; members that do not
    /// answer are passed over, but at least one must hold it.
    /// </summary>
    /// <param name="tryLock">Takes the lock on the connection: null when taken, else who holds it.</param>
    /// <param name="unlock">
    /// Releases the lock on the connection before it is closed: a server drops a closed session's locks only once its
    /// backend has gone, after the close returned, and the next drill would find them still held.
    /// </param>
    public static async Task<IAsyncDisposable> LockMembersAsync<TMember, TConnection>(IDrillTarget target, IEnumerable<TMember> members,
        Func<TMember, CancellationToken, Task<TConnection>> open, Func<TMember, TConnection, CancellationToken, Task<string?>> tryLock,
        Func<TConnection, CancellationToken, Task> unlock, CancellationToken cancellationToken)
        where TMember : IStoreMember where TConnection : IAsyncDisposable
    {
        var held = new List<TConnection>();
        var unreachable = new List<string>();
        try
        {
            foreach (var member in members.OrderBy(m => m.Endpoint, StringComparer.Ordinal))
            {
                string? other;
                TConnection? connection = default;
                try
                {
                    connection = await open(member, cancellationToken);
                    other = await tryLock(member, connection, cancellationToken);
                }
                catch (DrToolsException e) when (e.Kind == DrErrorKind.ConnectionFailed)
                {
                    if (connection is not null) await connection.DisposeAsync();
                    unreachable.Add(e.Message);
                    continue;
                }
                catch
                {
                    if (connection is not null) await connection.DisposeAsync();
                    throw;
                }
                if (other is null)
                {
                    held.Add(connection);
                    continue;
                }
                await connection.DisposeAsync();
                throw Refused(target, $"{other}, on {member.Display}");
            }
            if (held.Count == 0)
            {
                throw DrToolsException.Refused(
                    $"drill on {target.Name} refused: no member answered to take the drill lock ({string.Join("; ", unreachable)})",
                    DrErrorKind.ConnectionFailed);
            }
            return new Released(async () =>
            {
                foreach (var connection in held) await UnlockAndCloseAsync(connection, unlock);
            });
        }
        catch
        {
            foreach (var connection in held) await connection.DisposeAsync();
            throw;
        }
    }

    private static readonly TimeSpan UnlockTimeout = TimeSpan.FromSeconds(5);

    /// <summary>A member that is down or gone has dropped the lock with its session: its error is not the drill's.</summary>
    private static async Task UnlockAndCloseAsync<TConnection>(TConnection connection, Func<TConnection, CancellationToken, Task> unlock)
        where TConnection : IAsyncDisposable
    {
        try
        {
            using var deadline = new CancellationTokenSource(UnlockTimeout);
            await unlock(connection, deadline.Token);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or IOException or InvalidOperationException
            or OperationCanceledException or DrToolsException)
        {
        }
        finally
        {
            await connection.DisposeAsync();
        }
    }

    private sealed class Released(Func<Task> release) : IAsyncDisposable
    {
        private Func<Task>? _release = release;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _release, null) is { } release) await release();
        }
    }
}
