using DrTools.Core.Processes;

namespace DrTools.Core.Postgres;

/// <summary>A PostgreSQL server DrTools controls through its data directory on this machine (pg_ctl, signals, /proc).</summary>
public sealed class LocalServer(PgBinaries binaries, string dataDirectory, string logFile)
{
    private static readonly TimeSpan PgCtlWait = TimeSpan.FromSeconds(60);

    public PgBinaries Binaries { get; } = binaries;
    public string DataDirectory { get; } = dataDirectory;
    public string LogFile { get; } = logFile;

    /// <summary>The postmaster's PID from postmaster.pid, if it names a living process.</summary>
    public int? PostmasterPid => PidOf(DataDirectory);

    /// <summary>The PID of the postmaster of <paramref name="dataDirectory"/> while it is alive (postmaster.pid).</summary>
    public static int? PidOf(string dataDirectory)
    {
        try
        {
            var first = File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).FirstOrDefault();
            return int.TryParse(first, out var pid) && ProcessTable.IsAlive(pid) ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public bool IsRunning => PostmasterPid is not null;

    /// <param name="wait">How long the start may take: a restore replaying WAL needs longer than the default 60 s.</param>
    public async Task StartAsync(CancellationToken cancellationToken, TimeSpan? wait = null)
    {
        await ClearStaleLockAsync(cancellationToken);
        try
        {
            await PgCtlAsync(cancellationToken, wait ?? PgCtlWait, "start", "-l", LogFile);
        }
        catch (DrToolsException e) when (e.Kind == DrErrorKind.ExternalCommandFailed)
        {
            throw new DrToolsException($"{DataDirectory}: the server did not start: {LastLogLines()}", DrErrorKind.ExternalCommandFailed,
                e);
        }
    }

    /// <summary>
    /// What PostgreSQL itself said last, for error messages: the FATAL, PANIC and ERROR lines among the last 30, or the
    /// last lines when there are none (the shutdown lines that follow a failure explain nothing).
    /// </summary>
    public string LastLogLines(int count = 3)
    {
        try
        {
            var tail = File.ReadLines(LogFile).Where(l => l.Trim().Length > 0).TakeLast(30).ToList();
            var errors = tail.Where(l => l.Contains("FATAL:", StringComparison.Ordinal) || l.Contains("PANIC:", StringComparison.Ordinal)
                || l.Contains("ERROR:", StringComparison.Ordinal)).ToList();
            var chosen = (errors.Count > 0 ? errors : tail).TakeLast(count).ToList();
            return chosen.Count == 0 ? "the log is empty" : string.Join(" | ", chosen);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"no log at {LogFile}";
        }
    }

    public async Task StopAsync(ShutdownMode mode, CancellationToken cancellationToken)
    {
        if (!IsRunning) return;
        await PgCtlAsync(cancellationToken, PgCtlWait, "stop", "-m", mode == ShutdownMode.Fast ? "fast" : "immediate");
    }

    /// <summary>
    /// Asks the postmaster to shut down by signal (SIGINT fast, SIGQUIT immediate) and watches /proc every 2 ms until it
    /// is gone: pg_ctl -w sleeps 100 ms between checks, which would dominate a switchover's outage.
    /// </summary>
    public async Task StopPromptlyAsync(ShutdownMode mode, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (PostmasterPid is not { } pid) return;
        ProcessTable.Signal(pid, mode == ShutdownMode.Fast ? 2 : 3);
        await Polling.RequireAsync(() => Task.FromResult(!ProcessTable.IsAlive(pid)), timeout, TimeSpan.FromMilliseconds(2),
            () => $"{DataDirectory}: the server did not stop within {DurationText.Format(timeout)}: {LastLogLines()}", cancellationToken);
    }

    /// <summary>
    /// The latest checkpoint location, read from global/pg_control (ControlFileData.checkPoint, at offset 32 since
    /// PostgreSQL 9.x): for a cleanly stopped server, its shutdown checkpoint, the end of its WAL. Read directly, since
    /// running pg_controldata would add its start-up time to a switchover's outage.
    /// </summary>
    public Lsn LatestCheckpoint()
    {
        var control = File.ReadAllBytes(Path.Combine(DataDirectory, "global", "pg_control"));
        var version = BitConverter.ToUInt32(control, 8);
        if (version < 1100) throw new DrToolsException($"{DataDirectory}: pg_control version {version} is older than DrTools reads "
            + $"(PostgreSQL 11+).");
        return new Lsn(BitConverter.ToUInt64(control, 32));
    }

    /// <summary>
    /// After a kill, postmaster.pid names a postmaster that may linger as a zombie until PID 1 reaps it, and PostgreSQL
    /// would take it for a running server. Once nothing runs in the data directory any more, the lock file is stale: remove it.
    /// </summary>
    public async Task ClearStaleLockAsync(CancellationToken cancellationToken)
    {
        var lockFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (!File.Exists(lockFile) || IsRunning) return;
        await Polling.RequireAsync(() => Task.FromResult(ProcessTable.FindByWorkingDirectory(DataDirectory).Count == 0),
            TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(10),
            () => $"{DataDirectory}: processes of the stopped server are still running after 30s.", cancellationToken);
        // PostgreSQL would have removed the killed server's segment on its next start, reading it from this lock file.
        if (InterlockSegment.Of(DataDirectory) is { } segment) InterlockSegment.ReleaseIfUnused(segment);
        try
        {
            File.Delete(lockFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw AtomicFile.Failure("remove", lockFile, e);
        }
    }

    /// <summary>
    /// SIGKILLs the postmaster, as a crash or an OOM kill would (children notice its death and exit on their own), and
    /// returns once it is dead: a killed process stays alive for a moment, and a restart in that moment would find it running.
    /// </summary>
    public async Task<int?> KillAsync()
    {
        if (PostmasterPid is not { } pid) return null;
        if (!await ProcessTable.KillAsync([pid], TimeSpan.FromSeconds(10)))
        {
            throw new DrToolsException($"{DataDirectory}: the postmaster (PID {pid}) was still alive 10s after SIGKILL.",
                DrErrorKind.Timeout);
        }
        return pid;
    }

    private async Task PgCtlAsync(CancellationToken cancellationToken, TimeSpan wait, string action, params string[] options)
    {
        await CommandRunner.RunAsync(new CommandSpec($"pg_ctl {action} of {DataDirectory}", Binaries.Tool("pg_ctl"),
            [action, "-D", DataDirectory, "-w", "-t", ((int)Math.Ceiling(wait.TotalSeconds)).ToString(), .. options])
        {
            AsServerAccount = true,
            WorkingDirectory = Path.GetDirectoryName(DataDirectory),
            Timeout = wait + TimeSpan.FromSeconds(5),
        }, cancellationToken);
    }
}
