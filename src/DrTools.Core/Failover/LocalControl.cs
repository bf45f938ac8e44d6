using DrTools.Core.Postgres;
using DrTools.Core.Processes;

namespace DrTools.Core.Failover;

/// <summary>
/// Controls members whose data directories on this machine the user names (member name or host:port → directory):
/// signals, pg_control and pg_rewind, like a sandbox, but keeping each server's own configuration files. Members it
/// is not given are left to <paramref name="others"/> (the user's commands).
/// </summary>
public sealed class LocalControl(PgBinaries binaries, IReadOnlyDictionary<string, string> dataDirectories,
    IMemberControl others) : IMemberControl
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);
    private static readonly string[] ConfigurationFiles = ["postgresql.conf", "postgresql.auto.conf", "pg_hba.conf", "pg_ident.conf"];

    /// <summary>Parses NAME=DIRECTORY pairs as given on a command line, checking each directory is a PostgreSQL data directory.</summary>
    public static IReadOnlyDictionary<string, string> ParseDataDirectories(IEnumerable<string> pairs)
    {
        var map = new Dictionary<string, string>();
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0
                || eq == pair.Length - 1) throw new DrToolsException($"data directory '{pair}': write it as MEMBER=DIRECTORY (member name "
                + $"or host:port).", DrErrorKind.InvalidArgument);
            var directory = Path.GetFullPath(pair[(eq + 1)..]);
            if (!File.Exists(Path.Combine(directory,
                "PG_VERSION"))) throw new DrToolsException($"data directory '{directory}' (for {pair[..eq]}) is not a PostgreSQL data "
                + $"directory: it has no PG_VERSION.", DrErrorKind.InvalidArgument);
            map[pair[..eq]] = directory;
        }
        return map;
    }

    private LocalServer? Server(DbMember member) =>
        (dataDirectories.TryGetValue(member.Name, out var directory) || dataDirectories.TryGetValue(member.Endpoint, out directory))
            ? new LocalServer(binaries, directory, Path.Combine(Path.GetDirectoryName(directory)!,
                $"{Path.GetFileName(directory)}-drtools.log"))
            : null;

    public string FaultDescription(DbMember primary) => Server(primary) is null ? others.FaultDescription(primary)
        : $"SIGKILL of {primary.Display}'s postmaster";

    public async Task<string> InjectFaultAsync(DbMember primary, CancellationToken cancellationToken)
    {
        if (Server(primary) is not { } server) return await others.InjectFaultAsync(primary, cancellationToken);
        var pid = await server.KillAsync()
            ?? throw new DrToolsException($"{primary.Display}: no postmaster runs in {server.DataDirectory}; nothing to kill.",
            DrErrorKind.InvalidOperation);
        return $"SIGKILL of postmaster PID {pid}";
    }

    public Task StopCleanlyAsync(DbMember primary, CancellationToken cancellationToken) =>
        Server(primary) is { } server ? server.StopPromptlyAsync(ShutdownMode.Fast, StopTimeout, cancellationToken)
            : others.StopCleanlyAsync(primary, cancellationToken);

    public Task<Lsn?> FinalLsnAsync(DbMember stoppedPrimary, CancellationToken cancellationToken) =>
        Server(stoppedPrimary) is { } server ? Task.FromResult<Lsn?>(server.LatestCheckpoint()) : others.FinalLsnAsync(stoppedPrimary,
            cancellationToken);

    /// <summary>Re-points by SQL, keeping the standby's own authentication settings: only host and port of primary_conninfo
    /// change.</summary>
    public async Task<bool> RepointStandbyAsync(DbMember standby, DbMember newPrimary, CancellationToken cancellationToken)
    {
        if (Server(standby) is null) return await others.RepointStandbyAsync(standby, newPrimary, cancellationToken);
        var (conninfo, slot) = await standby.QueryAsync("select current_setting('primary_conninfo'), current_setting('primary_slot_name')",
            r => (r.GetString(0), r.GetString(1)), cancellationToken);
        await FollowAsync(standby, newPrimary, WithEndpoint(conninfo, newPrimary), slot, cancellationToken);
        return true;
    }

    public async Task<bool> RejoinAsync(DbMember oldPrimary, DbMember newPrimary, string applicationName,
        CancellationToken cancellationToken)
    {
        if (Server(oldPrimary) is not { } server) return await others.RejoinAsync(oldPrimary, newPrimary, applicationName,
            cancellationToken);
        // The old primary had no primary_conninfo of its own: take the new primary's former one (how standbys of this
        // cluster authenticate) and point it at the new primary.
        var former = await newPrimary.QueryAsync("select current_setting('primary_conninfo')", r => r.GetString(0), cancellationToken);
        var conninfo = former.Length > 0 ? WithEndpoint(former, newPrimary) : $"host={newPrimary.Host} port={newPrimary.Port}";
        // The name synchronous_standby_names knows it by: the drill carries the setting over with it.
        conninfo = ConnInfo.Set(conninfo, "application_name", applicationName);

        await server.StopAsync(ShutdownMode.Fast, cancellationToken);
        await server.ClearStaleLockAsync(cancellationToken);
        await newPrimary.ExecuteAsync("checkpoint", cancellationToken); // pg_rewind reads the source's timeline from its control file
        var saved = ConfigurationFiles.Where(f => File.Exists(Path.Combine(server.DataDirectory, f)))
            .ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(server.DataDirectory, f)));
        var source = newPrimary.CreateBuilder();
        await CommandRunner.RunAsync(new CommandSpec($"pg_rewind of {oldPrimary.Display}", binaries.Tool("pg_rewind"),
            ["-D", server.DataDirectory,
                $"--source-server=host={source.Host} port={source.Port} "
                + $"dbname={source.Database ?? "postgres"}{(source.Username is { } user ? $" user={user}" : "")}"])
        {
            AsServerAccount = true,
            WorkingDirectory = server.DataDirectory,
            // The password travels in the environment, never on a command line other users can read.
            Environment = source.Password is { } password ? new Dictionary<string, string> { ["PGPASSWORD"] = password }
                : new Dictionary<string, string>(),
            Timeout = TimeSpan.FromMinutes(10),
        }, cancellationToken);
        // pg_rewind copied the new primary's configuration files: this server keeps its own (its port among them).
        foreach (var (file, content) in saved) AtomicFile.Write(Path.Combine(server.DataDirectory, file), content);
        var slot = SlotName(oldPrimary);
        AtomicFile.Append(Path.Combine(server.DataDirectory, "postgresql.auto.conf"),
            $"primary_conninfo = '{conninfo.Replace("'", "''")}'\nprimary_slot_name = '{slot}'\n");
        AtomicFile.Write(Path.Combine(server.DataDirectory, "standby.signal"), "");
        foreach (var file in new[] { "postgresql.auto.conf",
            "standby.signal" }) ServerAccount.Current.Own(Path.Combine(server.DataDirectory, file));
        await ReplicationSlots.EnsureAsync(newPrimary, slot, cancellationToken);
        await server.StartAsync(cancellationToken);
        await ReplicationSlots.DropInactiveAsync(oldPrimary, cancellationToken);
        return true;
    }

    public async Task<DiscardedTransactions> DiscardedAsync(DbMember oldPrimary, DbMember newPrimary, CancellationToken cancellationToken)
    {
        if (Server(oldPrimary) is not { } server) return await others.DiscardedAsync(oldPrimary, newPrimary, cancellationToken);
        await server.StopAsync(ShutdownMode.Fast, cancellationToken);
        return await DiscardedWal.CountAsync(server, newPrimary, cancellationToken);
    }

    public async Task<bool> RestartAsync(DbMember member, CancellationToken cancellationToken)
    {
        if (Server(member) is not { } server) return await others.RestartAsync(member, cancellationToken);
        if (!server.IsRunning) await server.StartAsync(cancellationToken);
        return true;
    }

    private static async Task FollowAsync(DbMember standby, DbMember newPrimary, string conninfo, string slot,
        CancellationToken cancellationToken)
    {
        if (slot.Length > 0) await ReplicationSlots.EnsureAsync(newPrimary, slot, cancellationToken);
        // Through ExecuteAsync: a server's own error (its disk full) is one line naming the member, never a stack trace.
        await standby.ExecuteAsync($"alter system set primary_conninfo = '{conninfo.Replace("'", "''")}'; select pg_reload_conf()",
            cancellationToken);
    }


    private static string SlotName(DbMember member) => ConnInfo.SafeName(member.Name);

    private static string WithEndpoint(string conninfo, DbMember primary) => ConnInfo.Set(ConnInfo.Set(conninfo, "host", primary.Host),
        "port", primary.Port.ToString());
}
