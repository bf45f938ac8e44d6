using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Faults;

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
                : throw DrToolsException.RefusedAfter($"Kill of {request.Member.Display}: its postmaster is not running",
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
