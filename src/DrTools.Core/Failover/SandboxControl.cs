using DrTools.Core.Postgres;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Failover;

/// <summary>Controls sandbox members directly: signals, pg_controldata, pg_rewind, their configuration files.</summary>
public sealed class SandboxControl(Sandbox sandbox) : IMemberControl
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    public string FaultDescription(DbMember primary) => $"SIGKILL of {primary.Display}'s postmaster";

    public async Task<string> InjectFaultAsync(DbMember primary, CancellationToken cancellationToken)
    {
        var pid = await sandbox.Server(primary.Name).KillAsync()
            ?? throw new DrToolsException($"{primary.Display}: its postmaster is not running; nothing to kill.",
            DrErrorKind.InvalidOperation);
        return $"SIGKILL of postmaster PID {pid}";
    }

    /// <summary>
    /// Every process of the member, not only its postmaster: a frozen backend outlives its postmaster's SIGKILL and,
    /// thawed, acknowledges the write it held — a write the promoted standby never had.
    /// </summary>
    public async Task FenceAsync(DbMember primary, CancellationToken cancellationToken)
    {
        var processes = Processes.ProcessTable.FindByWorkingDirectory(sandbox.Server(primary.Name).DataDirectory);
        if (!await Processes.ProcessTable.KillAsync(processes, TimeSpan.FromSeconds(10)))
        {
            throw new DrToolsException($"{primary.Display}: still alive 10 s after SIGKILL of its processes.", DrErrorKind.Timeout);
        }
    }

    public Task StopCleanlyAsync(DbMember primary, CancellationToken cancellationToken) =>
        sandbox.Server(primary.Name).StopPromptlyAsync(ShutdownMode.Fast, StopTimeout, cancellationToken);

    public Task<Lsn?> FinalLsnAsync(DbMember stoppedPrimary, CancellationToken cancellationToken) =>
        Task.FromResult<Lsn?>(sandbox.Server(stoppedPrimary.Name).LatestCheckpoint());

    public async Task<bool> RepointStandbyAsync(DbMember standby, DbMember newPrimary, CancellationToken cancellationToken)
    {
        await ReplicationSlots.EnsureAsync(newPrimary, standby.Name, cancellationToken);
        sandbox.WriteMemberSettings(Member(standby), Member(newPrimary));
        // primary_conninfo and primary_slot_name are reloadable: the WAL receiver restarts towards the new primary.
        await standby.ExecuteAsync("select pg_reload_conf()", cancellationToken);
        return true;
    }

    /// <remarks>A sandbox member always streams under its own name (its cluster_name), which is what the drill carries over.</remarks>
    public async Task<bool> RejoinAsync(DbMember oldPrimary, DbMember newPrimary, string applicationName,
        CancellationToken cancellationToken)
    {
        var server = sandbox.Server(oldPrimary.Name);
        // pg_rewind needs a cleanly shut down target: after a kill, the server is stopped anyway (and pg_rewind
        // runs crash recovery itself first).
        await server.StopAsync(ShutdownMode.Fast, cancellationToken);
        await server.ClearStaleLockAsync(cancellationToken);
        await ReplicationSlots.EnsureAsync(newPrimary, oldPrimary.Name, cancellationToken);
        // pg_rewind takes the source's timeline from its control file, which a just-promoted primary updates only at
        // its first checkpoint: without this, it compares against the old timeline and rewinds to the wrong point.
        await newPrimary.ExecuteAsync("checkpoint", cancellationToken);
        // Its own ALTER SYSTEM settings, before pg_rewind copies the new primary's file over them.
        var altered = sandbox.AlteredSettings(Member(oldPrimary));
        sandbox.AllowRestoreFromArchive(Member(oldPrimary));
        await CommandRunner.RunAsync(new CommandSpec($"pg_rewind of {oldPrimary.Display}", sandbox.Binaries.Tool("pg_rewind"),
            ["-D", server.DataDirectory, "--restore-target-wal",
                $"--source-server=host=127.0.0.1 port={newPrimary.Port} user={Sandbox.UserName} dbname=postgres "
                + $"passfile={sandbox.PassFile}"])
        {
            AsServerAccount = true,
            WorkingDirectory = sandbox.Directory,
            Timeout = TimeSpan.FromMinutes(10),
        }, cancellationToken);
        // pg_rewind copied the new primary's postgresql.auto.conf (its port among them): write this member's own again.
        sandbox.WriteMemberSettings(Member(oldPrimary), Member(newPrimary), altered);
        await server.StartAsync(cancellationToken);
        await ReplicationSlots.DropInactiveAsync(oldPrimary, cancellationToken);
        return true;
    }

    public async Task<DiscardedTransactions> DiscardedAsync(DbMember oldPrimary, DbMember newPrimary, CancellationToken cancellationToken)
    {
        var server = sandbox.Server(oldPrimary.Name);
        await server.StopAsync(ShutdownMode.Fast, cancellationToken);
        return await DiscardedWal.CountAsync(server, newPrimary, cancellationToken);
    }

    public async Task<bool> RestartAsync(DbMember member, CancellationToken cancellationToken)
    {
        var server = sandbox.Server(member.Name);
        if (!server.IsRunning) await server.StartAsync(cancellationToken);
        return true;
    }

    private SandboxMember Member(DbMember member) => sandbox.Members.Single(m => m.Name == member.Name);
}
