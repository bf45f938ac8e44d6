using DrTools.Core.Faults;
using DrTools.Core.Postgres;

namespace DrTools.Core.Backups;

/// <summary>
/// A standby's WAL replay paused while a backup's reference is read. PostgreSQL keeps a pause after the session that asked for
/// it is gone, so on a sandbox it is a recorded fault: a SIGKILL of the backup leaves a record that fault stop --all (and
/// sandbox down --all) undoes. Elsewhere nothing can undo it without the backup's credentials: status names the paused standby.
/// </summary>
internal sealed class ReplayPause
{
    private readonly DbMember _standby;
    private readonly FaultRecord? _recorded;

    private ReplayPause(DbMember standby, FaultRecord? recorded)
    {
        _standby = standby;
        _recorded = recorded;
    }

    public static async Task<ReplayPause> StartAsync(DbTarget target, DbMember standby, string backupId,
        CancellationToken cancellationToken)
    {
        if (target.SandboxDirectory is not { } sandbox)
        {
            await standby.ExecuteAsync("select pg_wal_replay_pause()", cancellationToken);
            return new ReplayPause(standby, null);
        }
        var request = new FaultRequest(FaultKind.ReplicationDelay, FaultMembers.From(standby, sandboxDirectory: sandbox))
        {
            Parameters = new Dictionary<string, string> { ["pause"] = "true" },
            Reason = $"{ReasonPrefix}{backupId}'s reference",
        };
        return new ReplayPause(standby, await Faults.Faults.StartAsync(request, null, cancellationToken));
    }

    /// <summary>
    /// Resumes a pause a backup's reference recorded on <paramref name="standby"/> whose process is gone (killed while it
    /// read): the pause is DrTools' own, and no one else holds it. Returns whether there was one.
    /// </summary>
    public static async Task<bool> ResumeLeftoverAsync(DbTarget target, DbMember standby, CancellationToken cancellationToken)
    {
        var left = Faults.Faults.List().Where(r => r.Kind == FaultKind.ReplicationDelay && r.Reason?.StartsWith(ReasonPrefix,
                StringComparison.Ordinal) == true && r.OwnerPid != Environment.ProcessId && !Faults.Faults.HeldElsewhere(r)
            && r.State.GetValueOrDefault("sandbox") == target.SandboxDirectory && r.State.GetValueOrDefault("member") == standby.Name)
            .ToList();
        foreach (var record in left)
        {
            if (!(await Faults.Faults.StopAsync(record, cancellationToken)).Undone) return false;
        }
        return left.Count > 0;
    }

    private const string ReasonPrefix = "backup ";

    /// <summary>Resumes replay whatever ended the read (a cancelled backup included).</summary>
    public async Task ResumeAsync()
    {
        if (_recorded is null)
        {
            await _standby.ExecuteAsync("select pg_wal_replay_resume()", CancellationToken.None);
            return;
        }
        var end = await Faults.Faults.StopAsync(_recorded, CancellationToken.None);
        if (!end.Undone)
        {
            throw new DrToolsException($"{_standby.Display}: WAL replay stays paused: {end.Undo} (drtools fault stop --all resumes it).",
                DrErrorKind.InvalidOperation);
        }
    }
}
