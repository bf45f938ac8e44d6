using System.Text.Json;
using System.Text.Json.Serialization;
using DrTools.Core.Processes;

namespace DrTools.Core.Sandboxes;

/// <summary>
/// What a sandbox is made of, kept as sandbox.json in its directory (readable by its creator only, since it holds the
/// sandbox's password) and rewritten as members are added, so a sandbox whose creator was killed can still be found and removed.
/// </summary>
internal sealed record SandboxManifest(
    string Id,
    string Directory,
    DateTimeOffset CreatedAt,
    int? OwnerPid,
    bool Synchronous,
    string UserName,
    string Password,
    string BinDirectory,
    int MajorVersion,
    string ArchiveDirectory,
    IReadOnlyList<SandboxMember> Members)
{
    public const string FileName = "sandbox.json";
    /// <summary>Written into every manifest DrTools makes: a folder without it was not made by DrTools and is never touched.</summary>
    public const string CreatorMark = "drtools-sandbox/1";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public string? Creator { get; init; }
    public long? OwnerStartTicks { get; init; }
    /// <summary>True for an instance restored from a backup (one member, no replication).</summary>
    public bool Restored { get; init; }
    /// <summary>"patroni" for a Patroni-managed sandbox; null for DrTools' own streaming cluster.</summary>
    public string? Topology { get; init; }
    public Patroni.PatroniEndpoints? Patroni { get; init; }
    public IReadOnlyDictionary<string, string>? PatroniSettings { get; init; }
    /// <summary>True when a fault proxy runs in front of every member (created with one).</summary>
    public bool FaultProxy { get; init; }
    /// <summary>The size of each member's WAL tmpfs (in volumes/), when it was created with one.</summary>
    public long? WalDiskSize { get; init; }
    /// <summary>The store: null for PostgreSQL, else mariadb or redis.</summary>
    public string? Engine { get; init; }
    /// <summary>The account for applications, which read_only stops (a MariaDB sandbox's); null when there is none but the
    /// admin's.</summary>
    public string? ApplicationUser { get; init; }
    /// <summary>A Redis sandbox's Sentinels.</summary>
    public IReadOnlyList<SandboxMember>? Sentinels { get; init; }
    /// <summary>The monitoring stack of a sandbox created with one.</summary>
    public MonitoringEndpoints? Monitoring { get; init; }

    [JsonIgnore] public ProcessOwner? Owner => OwnerPid is { } pid ? new ProcessOwner(pid, OwnerStartTicks) : null;

    /// <summary>The ports of its members' servers, which a drill stops and starts again: claimed while the sandbox exists.</summary>
    public IEnumerable<int> ClaimedPorts => Members.SelectMany(m => new[] { m.Port, m.RestPort, m.ProxyPort })
        .OfType<int>();

    /// <summary>Writes the manifest into its directory, or into <paramref name="folder"/> while that is being made under another
    /// name.</summary>
    public void Save(string? folder = null)
    {
        LoopbackPort.Claim(ClaimedPorts, Directory);
        AtomicFile.Write(Path.Combine(folder ?? Directory, FileName), JsonSerializer.Serialize(this, Json),
            UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>
    /// The manifest of a sandbox DrTools made in <paramref name="directory"/>, or null with the reason it is not one:
    /// no manifest, one DrTools did not write, or one that names another folder or files outside this one (stopping and
    /// deleting follow the manifest, so a copied or forged one must not reach anything else).
    /// </summary>
    public static SandboxManifest? Load(string directory, out string? notASandbox)
    {
        directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        if (OwnedFolder.ReadProof<SandboxManifest>(directory, FileName, Json, out notASandbox) is not { } manifest) return null;
        notASandbox = manifest switch
        {
            { Creator: not CreatorMark } => $"{FileName} was not written by DrTools",
            _ when manifest.Id != Path.GetFileName(directory) || !SamePath(manifest.Directory, directory)
                => $"{FileName} describes another folder ({manifest.Directory})",
            _ when manifest.Members is null || !manifest.Members.Concat(manifest.Sentinels ?? []).SelectMany(m => new[] { m.DataDirectory,
                m.LogFile }).Append(manifest.ArchiveDirectory).All(p => Inside(p, directory)) =>
                $"{FileName} names files outside {directory}",
            // Listing and removal ask the engine about the members: one DrTools does not know would stop them for every folder.
            { Engine: { } engine } when !Engines.StoreEngines.IsKnown(engine)
                => $"{FileName} names engine '{engine}', which this DrTools does not know",
            _ => null,
        };
        return notASandbox is null ? manifest : null;
    }

    private static bool SamePath(string? path, string directory) => path is not null
        && Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)) == directory;

    private static bool Inside(string? path, string directory) => path is not null && Path.GetFullPath(path).StartsWith(directory + "/",
        StringComparison.Ordinal);
}
