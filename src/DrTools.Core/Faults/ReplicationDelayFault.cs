using System.Globalization;

namespace DrTools.Core.Faults;

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
