using System.Globalization;
using DrTools.Core.Processes;

namespace DrTools.Core.Faults;

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
