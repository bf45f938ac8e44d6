using DrTools.Core.Postgres;

namespace DrTools.Core.Faults;

/// <summary>The faults DrTools injects, each with an undo.</summary>
public enum FaultKind
{
    /// <summary>A member cut off from chosen peers or from everyone, both directions, open connections included (nftables).</summary>
    Partition,
    /// <summary>A percentage of the member's packets dropped, both directions (nftables).</summary>
    PacketLoss,
    /// <summary>SIGSTOP of every process of the member, SIGCONT on undo: a hung host, a long stall.</summary>
    Freeze,
    /// <summary>SIGKILL of the member's postmaster or of every process; undo starts a sandbox member again.</summary>
    Kill,
    /// <summary>A standby made to replay late (recovery_min_apply_delay) or not at all (replay paused); restored on undo.</summary>
    ReplicationDelay,
    /// <summary>The user's own start and undo shell commands.</summary>
    Command,
    /// <summary>Every connection slot taken by idle sessions this process holds; released on undo or when the process ends.</summary>
    ConnectionExhaustion,
    /// <summary>The member's WAL filesystem (a sandbox's tmpfs) filled until writes fail; freed on undo, the member started again if it
    /// stopped.</summary>
    DiskFull,
    /// <summary>Every chunk of the member's traffic delayed (fault proxy).</summary>
    Latency,
    /// <summary>A random delay per chunk, order kept (fault proxy).</summary>
    Jitter,
    /// <summary>The member's traffic capped at a rate (fault proxy).</summary>
    Bandwidth,
    /// <summary>Every connection to the member reset, and new ones too while it holds (fault proxy).</summary>
    ResetConnections,
    /// <summary>Connections stay open and carry nothing until undone (fault proxy).</summary>
    Blackhole,
    /// <summary>A Kubernetes node marked unschedulable; schedulable again on undo.</summary>
    Cordon,
    /// <summary>A Kubernetes workload scaled to a replica count; scaled back on undo.</summary>
    Scale,
}

/// <summary>
/// A server a fault acts on: its endpoint, and what DrTools knows beyond it — its data directory (so its processes),
/// its sandbox (so SQL access and a restart), each only when known.
/// </summary>
public sealed record FaultMember(string Name, string Host, int Port)
{
    public string? DataDirectory { get; init; }

    /// <summary>The sandbox the member belongs to, whose folder DrTools can reopen from another process to undo.</summary>
    public string? SandboxDirectory { get; init; }

    /// <summary>The filesystem of its pg_wal, when its sandbox mounted one for it (DiskFull fills it).</summary>
    public string? WalVolume { get; init; }

    /// <summary>The fault proxy in front of it, when its sandbox has one (latency, bandwidth … act there).</summary>
    public FaultProxyEndpoint? Proxy { get; init; }

    /// <summary>How DrTools connects to it (the faults that act through connections); never recorded.</summary>
    public DbMember? Database { get; init; }

    public string Endpoint => $"{Host}:{Port}";

    public string Display => Name == Endpoint ? Name : $"{Name} ({Endpoint})";
}

/// <summary>A member's listener on a fault proxy: the proxy's control socket and the port clients reach the member on.</summary>
public sealed record FaultProxyEndpoint(string ControlSocket, int Port);

/// <summary>A fault of the library as a drill's fault: its kind and parameters; the member is the drill's primary (or leader).</summary>
public sealed record FaultSpec(FaultKind Kind, IReadOnlyDictionary<string, string> Parameters)
{
    public override string ToString() => Parameters.Count == 0 ? Kind.ToString()
        : $"{Kind} ({string.Join(", ", Parameters.Select(p => $"{p.Key}={p.Value}"))})";
}

/// <summary>What to inject: the kind, the member, the peers it is cut from (none: everyone), its parameters, and how long.</summary>
public sealed record FaultRequest(FaultKind Kind, FaultMember Member)
{
    public IReadOnlyList<FaultMember> Peers { get; init; } = [];
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>Why DrTools itself applies it (a backup's reference), said in its record; null for a drill's fault.</summary>
    public string? Reason { get; init; }

    /// <summary>The cluster a Kubernetes fault acts on (its <see cref="Member"/> is then the API server); null for a database's.</summary>
    public Kubernetes.KubernetesTarget? Kubernetes { get; init; }
}

/// <summary>
/// An active fault as DrTools records it on disk while it lasts: what, on whom, since when, by which process, and the
/// state its undo needs — so a fault of a killed run is undone by another process (fault stop --all).
/// </summary>
public sealed record FaultRecord(string Id, FaultKind Kind, string Member, string Description, DateTimeOffset StartedAt, int OwnerPid)
{
    /// <summary>When a fault with a duration is to be undone; null when it lasts until stopped.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>Why DrTools itself applied it (<see cref="FaultRequest.Reason"/>); null for a drill's fault.</summary>
    public string? Reason { get; init; }

    /// <summary>What the undo needs (an nftables table, frozen processes with their start times, a command …), per kind.</summary>
    public IReadOnlyDictionary<string, string> State { get; init; } = new Dictionary<string, string>();

    public override string ToString() =>
        $"{Id}: {Description} since {StartedAt.UtcDateTime:HH:mm:ss}Z{(Until is { } until ? $" until {until.UtcDateTime:HH:mm:ss}Z" : "")}";
}

/// <summary>A fault that ended: its record, when it ended, and what its undo did (or why it could not).</summary>
public sealed record FaultEnd(FaultRecord Fault, DateTimeOffset EndedAt, bool Undone, string Undo)
{
    /// <summary>When the fault took effect and when its undo finished, as Stopwatch timestamps, when this process did both.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public (long Applied, long Undone)? Window { get; init; }

    /// <summary>Why the record of a fault that was undone could not be deleted (a read-only fault-state disk); null when it was.</summary>
    public string? RecordKept { get; init; }

    /// <summary>What the application-level HTTP probe saw while the fault was held, when one ran.</summary>
    public Probes.HttpProbeResult? HttpProbe { get; init; }

    public string Id => Fault.Id;
    public FaultKind Kind => Fault.Kind;
    public TimeSpan Duration => EndedAt - Fault.StartedAt;

    public override string ToString() => $"{Fault.Id}: {(Undone ? "undone" : "NOT undone")} after {DurationText.Format(Duration)}: {Undo}";
}

/// <summary>A member of a target as a fault sees it.</summary>
public static class FaultMembers
{
    public static FaultMember From(DbMember member, string? dataDirectory = null, string? sandboxDirectory = null) =>
        new(member.Name, member.Host, member.Port) { DataDirectory = dataDirectory, SandboxDirectory = sandboxDirectory,
            Database = member };

    /// <summary>The members of a sandbox, with their data directories and the sandbox's folder.</summary>
    public static IReadOnlyList<FaultMember> Of(Sandboxes.Sandbox sandbox) =>
        sandbox.Target.Members.Zip(sandbox.Members, (db, m) => From(db, m.DataDirectory, sandbox.Directory) with
        {
            Host = "127.0.0.1",
            Proxy = m.ProxyPort is { } port ? new FaultProxyEndpoint(sandbox.FaultProxySocket, port) : null,
            WalVolume = sandbox.WalVolume(m.Name),
        }).ToList();
}
