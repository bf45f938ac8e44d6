using DrTools.Core.Processes;

namespace DrTools.Core.Postgres;

public enum ShutdownMode
{
    /// <summary>Disconnects clients, writes a shutdown checkpoint, and sends all WAL to connected standbys.</summary>
    Fast,
    /// <summary>Stops without a checkpoint, like a crash but with shared memory cleaned up.</summary>
    Immediate,
}

/// <summary>A PostgreSQL server DrTools controls through its data directory on this machine (pg_ctl, signals, /proc).</summary>
public sealed class LocalServer(PgBinaries binaries, string dataDirectory, string logFile)
{
    private static readonly TimeSpan PgCtlWait = TimeSpan.FromSeconds(60);

    public PgBinaries Binaries { get; } = binaries;
    public string DataDirectory { get; } = dataDirectory;
    public string LogFile { get; } = logFile;

    /// <summary>The postmaster's PID from postmaster.pid, if it names a living process.</summary>
    public int? PostmasterPid
    {
        get
        {
            try
            {
                var first = File.ReadLines(Path.Combine(DataDirectory, "postmaster.pid")).FirstOrDefault();
                return int.TryParse(first, out var pid) && ProcessTable.IsAlive(pid) ? pid : null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }
    }

    public bool IsRunning => PostmasterPid is not null;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await PgCtlAsync(cancellationToken, "start", "-l", LogFile);
        }
        catch (DrToolsException e) when (e.Kind == DrErrorKind.ExternalCommandFailed)
        {
            throw new DrToolsException($"{DataDirectory}: the server did not start: {LastLogLines()}", DrErrorKind.ExternalCommandFailed, e);
        }
    }

    /// <summary>The end of the server log: what PostgreSQL itself said, for error messages.</summary>
    public string LastLogLines(int count = 3)
    {
        try
        {
            var lines = File.ReadLines(LogFile).Where(l => l.Trim().Length > 0).TakeLast(count).ToList();
            return lines.Count == 0 ? "the log is empty" : string.Join(" | ", lines);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"no log at {LogFile}";
        }
    }

    public async Task StopAsync(ShutdownMode mode, CancellationToken cancellationToken)
    {
        if (!IsRunning) return;
        await PgCtlAsync(cancellationToken, "stop", "-m", mode == ShutdownMode.Fast ? "fast" : "immediate");
    }

    /// <summary>SIGKILLs the postmaster, as a crash or an OOM kill would: children notice its death and exit on their own.</summary>
    public int? Kill()
    {
        var pid = PostmasterPid;
        if (pid is { } alive) ProcessTable.Kill(alive);
        return pid;
    }

    private async Task PgCtlAsync(CancellationToken cancellationToken, string action, params string[] options)
    {
        await CommandRunner.RunAsync(new CommandSpec($"pg_ctl {action} of {DataDirectory}", Binaries.Tool("pg_ctl"),
            [action, "-D", DataDirectory, "-w", "-t", ((int)PgCtlWait.TotalSeconds).ToString(), .. options])
        {
            AsServerAccount = true,
            WorkingDirectory = Path.GetDirectoryName(DataDirectory),
            Timeout = PgCtlWait + TimeSpan.FromSeconds(5),
        }, cancellationToken);
    }
}
