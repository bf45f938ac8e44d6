using System.Globalization;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Faults;

/// <summary>The processes a fault signals, each with its start time, so an undo never signals a PID the system reused.</summary>
internal static class RecordedProcesses
{
    public static string Write(IEnumerable<int> pids) =>
        string.Join(",", pids.Select(pid => (pid,
            ticks: ProcessTable.StartTicks(pid))).Where(p => p.ticks is not null).Select(p => $"{p.pid}:{p.ticks}"));

    /// <summary>The recorded processes that still are the same processes.</summary>
    public static IReadOnlyList<int> Read(string recorded) =>
        recorded.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split(':'))
            .Select(p => (Pid: int.Parse(p[0], CultureInfo.InvariantCulture), Ticks: long.Parse(p[1], CultureInfo.InvariantCulture)))
            .Where(p => ProcessTable.StartTicks(p.Pid) == p.Ticks).Select(p => p.Pid).ToList();

    public static IReadOnlyList<int> Of(FaultKind kind, FaultMember member)
    {
        var data = member.DataDirectory
            ?? throw new DrToolsException($"{kind} of {member.Display}: DrTools must know its processes: a sandbox member, or its data "
            + $"directory.", DrErrorKind.InvalidArgument);
        var processes = ProcessTable.FindByWorkingDirectory(data);
        return processes.Count > 0 ? processes
            : throw new DrToolsException($"{kind} of {member.Display}: no process runs in {data}; nothing was changed.",
            DrErrorKind.InvalidOperation);
    }
}

/// <summary>SIGSTOP of every process of the member; SIGCONT on undo.</summary>
internal sealed class FreezeFault : IFaultKind
{
    public FaultKind Kind => FaultKind.Freeze;
    public IReadOnlyDictionary<string, string> Parameters { get; } = new Dictionary<string, string>();

    public void Check(FaultRequest request) => RecordedProcesses.Of(Kind, request.Member);

    public string Describe(FaultRequest request) => $"Freeze of {request.Member.Display}: SIGSTOP of every process, SIGCONT on undo";

    public Task<IReadOnlyDictionary<string, string>> PrepareAsync(string id, FaultRequest request, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string,
            string> { ["processes"] = RecordedProcesses.Write(RecordedProcesses.Of(Kind, request.Member)) });

    public Task ApplyAsync(FaultRecord record, CancellationToken cancellationToken)
    {
        foreach (var pid in RecordedProcesses.Read(record.State["processes"])) ProcessTable.Signal(pid, ProcessTable.SigStop);
        return Task.CompletedTask;
    }

    public Task<string> UndoAsync(FaultRecord record, CancellationToken cancellationToken)
    {
        var thawed = RecordedProcesses.Read(record.State["processes"]).Count(pid => ProcessTable.Signal(pid, ProcessTable.SigCont));
        return Task.FromResult($"SIGCONT of {thawed} process(es)");
    }
}

/// <summary>SIGKILL of a sandbox member's postmaster (a crash) or of every process; undo starts the member again.</summary>
internal sealed class KillFault : IFaultKind
{
    public FaultKind Kind => FaultKind.Kill;
    public IReadOnlyDictionary<string, string> Parameters { get; } = new Dictionary<string, string>
    {
        ["processes"] = "postmaster (default: a crash, the children exit on their own) or all",
    };

    public void Check(FaultRequest request)
    {
        if (request.Member.SandboxDirectory is null) throw new DrToolsException($"Kill of {request.Member.Display}: only a sandbox member, "
            + $"which the undo can start again.", DrErrorKind.InvalidArgument);
        _ = All(request);
        RecordedProcesses.Of(Kind, request.Member);
    }

    public string Describe(FaultRequest request) =>
        $"Kill of {request.Member.Display}: SIGKILL of {(All(request) ? "every process" : "the postmaster")}, started again on undo";

    public Task<IReadOnlyDictionary<string, string>> PrepareAsync(string id, FaultRequest request, CancellationToken cancellationToken)
    {
        var server = SandboxOf(request.Member.SandboxDirectory!).Server(request.Member.Name);
        IReadOnlyList<int> victims = All(request) ? RecordedProcesses.Of(Kind, request.Member)
            : server.PostmasterPid is { } pid ? [pid]
                : throw new DrToolsException($"Kill of {request.Member.Display}: its postmaster is not running; nothing was changed.",
                DrErrorKind.InvalidOperation);
        return Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>
        {
            ["processes"] = RecordedProcesses.Write(victims),
            ["sandbox"] = request.Member.SandboxDirectory!,
            ["member"] = request.Member.Name,
        });
    }

    public async Task ApplyAsync(FaultRecord record, CancellationToken cancellationToken)
    {
        var victims = RecordedProcesses.Read(record.State["processes"]);
        if (!await ProcessTable.KillAsync(victims,
            TimeSpan.FromSeconds(10))) throw new DrToolsException($"{record.Member}: still alive 10 s after SIGKILL.", DrErrorKind.Timeout);
    }

    public Task<string> UndoAsync(FaultRecord record, CancellationToken cancellationToken) =>
        Directory.Exists(record.State["sandbox"]) ? StartAgainAsync(record, cancellationToken)
            : Task.FromResult("its sandbox is gone: nothing to start");

    /// <summary>Starts a sandbox member a fault brought down, once every process of the old server is gone; says what it did.</summary>
    internal static async Task<string> StartAgainAsync(FaultRecord record, CancellationToken cancellationToken)
    {
        var server = SandboxOf(record.State["sandbox"]).Server(record.State["member"]);
        if (server.IsRunning) return "already running again";
        // The killed postmaster's children hold its shared memory until they notice and exit.
        if (!await ProcessTable.WaitForExitAsync(ProcessTable.FindByWorkingDirectory(server.DataDirectory), TimeSpan.FromSeconds(30)))
        {
            throw new DrToolsException($"{record.Member}: processes of the stopped server still run 30 s later; it was not started again.",
                DrErrorKind.Timeout);
        }
        await server.StartAsync(cancellationToken);
        return $"started again (postmaster PID {server.PostmasterPid})";
    }

    private static bool All(FaultRequest request) => request.Parameters.GetValueOrDefault("processes", "postmaster") switch
    {
        "postmaster" => false,
        "all" => true,
        var other => throw new DrToolsException($"Kill processes '{other}': postmaster or all.", DrErrorKind.InvalidArgument),
    };

    internal static Sandbox SandboxOf(string directory) => Sandbox.Open(Path.GetFileName(directory), Path.GetDirectoryName(directory));
}

/// <summary>A sandbox standby made to replay late (recovery_min_apply_delay) or not at all (replay paused); restored on undo.</summary>
internal sealed class ReplicationDelayFault : IFaultKind
{
    public FaultKind Kind => FaultKind.ReplicationDelay;
    public IReadOnlyDictionary<string, string> Parameters { get; } = new Dictionary<string, string>
    {
        ["delay"] = "how late the standby replays, e.g. 30s (default), through recovery_min_apply_delay",
        ["pause"] = "true: replay paused altogether (pg_wal_replay_pause) instead",
    };

    public void Check(FaultRequest request)
    {
        if (request.Member.SandboxDirectory is null) throw new DrToolsException($"ReplicationDelay of {request.Member.Display}: only a "
            + $"sandbox standby, whose settings the undo can restore from any process.", DrErrorKind.InvalidArgument);
        _ = Delay(request);
    }

    public string Describe(FaultRequest request) => Paused(request)
        ? $"ReplicationDelay of {request.Member.Display}: WAL replay paused, resumed on undo"
        : $"ReplicationDelay of {request.Member.Display}: replay {DurationText.Format(Delay(request))} late (recovery_min_apply_delay), "
            + $"restored on undo";

    public async Task<IReadOnlyDictionary<string, string>> PrepareAsync(string id, FaultRequest request,
        CancellationToken cancellationToken)
    {
        var member = KillFault.SandboxOf(request.Member.SandboxDirectory!).Target.Member(request.Member.Name);
        if (!await member.QueryAsync("select pg_is_in_recovery()", r => r.GetBoolean(0), cancellationToken))
        {
            throw new DrToolsException($"ReplicationDelay of {request.Member.Display}: it is a primary; choose a standby. Nothing was "
                + $"changed.", DrErrorKind.InvalidArgument);
        }
        return new Dictionary<string, string>
        {
            ["sandbox"] = request.Member.SandboxDirectory!,
            ["member"] = request.Member.Name,
            ["pause"] = Paused(request) ? "true" : "false",
            ["delayMs"] = ((long)Delay(request).TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
        };
    }

    public Task ApplyAsync(FaultRecord record, CancellationToken cancellationToken) =>
        Run(record, record.State["pause"] == "true" ? "select pg_wal_replay_pause()"
            : $"alter system set recovery_min_apply_delay = '{record.State["delayMs"]}ms'; select pg_reload_conf()", cancellationToken);

    public async Task<string> UndoAsync(FaultRecord record, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(record.State["sandbox"])) return "its sandbox is gone: nothing to restore";
        var paused = record.State["pause"] == "true";
        await Run(record, paused ? "select pg_wal_replay_resume()" : "alter system reset recovery_min_apply_delay; select pg_reload_conf()",
            cancellationToken);
        return paused ? "WAL replay resumed" : "recovery_min_apply_delay reset";
    }

    private static Task Run(FaultRecord record, string sql, CancellationToken cancellationToken) =>
        KillFault.SandboxOf(record.State["sandbox"]).Target.Member(record.State["member"]).ExecuteAsync(sql, cancellationToken);

    private static bool Paused(FaultRequest request) => request.Parameters.GetValueOrDefault("pause", "false") switch
    {
        "true" => true,
        "false" => false,
        var other => throw new DrToolsException($"ReplicationDelay pause '{other}': true or false.", DrErrorKind.InvalidArgument),
    };

    private static TimeSpan Delay(FaultRequest request) =>
        DurationText.Parse(request.Parameters.GetValueOrDefault("delay", "30s"), "ReplicationDelay delay", TimeSpan.FromDays(1),
            positive: true);
}

/// <summary>The user's own fault: a start and an undo shell command, with the member in DRTOOLS_MEMBER_HOST /
/// DRTOOLS_MEMBER_PORT.</summary>
internal sealed class CommandFault : IFaultKind
{
    public FaultKind Kind => FaultKind.Command;
    public IReadOnlyDictionary<string, string> Parameters { get; } = new Dictionary<string, string>
    {
        ["start"] = "shell command that injects the fault (required)",
        ["undo"] = "shell command that undoes it (required)",
    };

    public void Check(FaultRequest request)
    {
        foreach (var name in new[] { "start", "undo" })
        {
            if (string.IsNullOrWhiteSpace(request.Parameters.GetValueOrDefault(name))) throw new DrToolsException($"Command fault: give "
                + $"both commands, start and undo (missing {name}).", DrErrorKind.InvalidArgument);
        }
    }

    public string Describe(FaultRequest request) =>
        $"Command fault on {request.Member.Display}: '{request.Parameters["start"]}', undone by '{request.Parameters["undo"]}'";

    public Task<IReadOnlyDictionary<string, string>> PrepareAsync(string id, FaultRequest request, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>
        {
            ["start"] = request.Parameters["start"],
            ["undo"] = request.Parameters["undo"],
            ["host"] = request.Member.Host,
            ["port"] = request.Member.Port.ToString(CultureInfo.InvariantCulture),
        });

    public Task ApplyAsync(FaultRecord record, CancellationToken cancellationToken) => Run("start", record, cancellationToken);

    public async Task<string> UndoAsync(FaultRecord record, CancellationToken cancellationToken)
    {
        await Run("undo", record, cancellationToken);
        return $"undo command '{record.State["undo"]}' ran";
    }

    private static Task Run(string which, FaultRecord record, CancellationToken cancellationToken) =>
        CommandRunner.RunAsync(new CommandSpec($"{which} command of fault {record.Id}", "/bin/sh", ["-c", record.State[which]])
        {
            Environment = new Dictionary<string, string> { ["DRTOOLS_MEMBER_HOST"] = record.State["host"],
                ["DRTOOLS_MEMBER_PORT"] = record.State["port"] },
        }, cancellationToken);
}
