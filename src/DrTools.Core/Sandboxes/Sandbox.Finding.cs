using DrTools.Core.Postgres;
using DrTools.Core.Processes;

namespace DrTools.Core.Sandboxes;

// Finding and removing sandboxes left by other processes. Only a folder whose manifest proves DrTools made it is ever
// stopped or deleted: the sandbox folder is configurable and may hold anything.
public sealed partial class Sandbox
{
    /// <summary>The folders under <paramref name="root"/>: sandboxes (including ones whose creator was killed) and, marked NotASandbox,
    /// anything else.</summary>
    public static IReadOnlyList<SandboxInfo> List(string? root = null)
    {
        root ??= DefaultRoot;
        if (!System.IO.Directory.Exists(root)) return [];
        return System.IO.Directory.GetDirectories(root).Order(StringComparer.Ordinal).Select(Describe).ToList();
    }

    private static SandboxInfo Describe(string directory)
    {
        if (SandboxManifest.Load(directory, out var notASandbox) is not { } manifest)
        {
            return new SandboxInfo(Path.GetFileName(directory), directory, null, null, false, [],
                SandboxState.NotASandbox) { Kind = SandboxKind.Unknown, Note = notASandbox };
        }
        var engine = Engines.StoreEngines.Get(manifest.Engine ?? Engines.StoreEngines.PostgreSql);
        var members = manifest.Members.Select(m => new SandboxMemberInfo(m.Name, m.ClientPort, engine.Pid(m) is not null)).ToList();
        var running = ProcessTable.FindByWorkingDirectory(directory).Count > 0;
        var state = manifest.Owner is { IsAlive: false } ? SandboxState.Orphaned
            : members.Count > 0 && members.All(m => m.Running) ? SandboxState.Running
            : running ? SandboxState.Degraded : SandboxState.Stopped;
        return new SandboxInfo(manifest.Id, directory, manifest.CreatedAt, manifest.OwnerPid, manifest.Synchronous, members, state)
        {
            Kind = manifest.Restored ? SandboxKind.RestoredInstance : SandboxKind.Cluster,
            Engine = engine.Name,
            Topology = TopologyOf(manifest, engine.Name == Engines.StoreEngines.Redis ? "replica" : "standby"),
            Note = manifest.Patroni is { } patroni
                ? $"Patroni: etcd 127.0.0.1:{patroni.EtcdPort}, HAProxy read-write 127.0.0.1:{patroni.WritePort}, read-only "
                + $"127.0.0.1:{patroni.ReadPort}"
                : manifest.Engine is null ? null : engine.DisplayName,
        };
    }

    private static string TopologyOf(SandboxManifest manifest, string standby)
    {
        var followers = manifest.Members.Count - 1;
        return manifest.Restored ? "restored instance"
            : manifest.Patroni is not null ? $"Patroni, {manifest.Members.Count} nodes"
            : (followers == 0
                ? "primary only"
                : $"primary + {followers} {standby}{(followers == 1 ? "" : "s")}{(manifest.Synchronous ? ", synchronous" : "")}")
                + (manifest.Sentinels is { Count: > 0 } sentinels ? $", {sentinels.Count} Sentinels" : "");
    }

    /// <summary>Opens a sandbox another process created, by id (or a unique prefix of it).</summary>
    public static Sandbox Open(string id, string? root = null) => new(Prove(FindDirectory(id, root)));

    /// <summary>
    /// Opens a sandbox as Get-DrSandbox lists it (by its own folder, whatever the root); a restored instance, a run's
    /// scratch folder or a foreign folder is refused naming what it is.
    /// </summary>
    public static Sandbox Open(SandboxInfo listed) => listed.Kind == SandboxKind.Cluster && listed.State != SandboxState.NotASandbox
        ? new(Prove(listed.Directory))
        : throw new DrToolsException(
            $"{listed.Id} is {(listed.Kind == SandboxKind.Unknown ? "not a DrTools sandbox" : $"a {listed.Kind}, not a cluster sandbox")}; "
            + "only a cluster sandbox can be a target.", DrErrorKind.InvalidArgument);

    /// <summary>Removes a sandbox by id, whatever state its creator left it in; a folder that is not a sandbox is refused
    /// untouched.</summary>
    public static Task RemoveAsync(string id, string? root = null)
    {
        var directory = FindDirectory(id, root);
        return Destroy(directory, Prove(directory));
    }

    private static SandboxManifest Prove(string directory) => SandboxManifest.Load(directory, out var notASandbox)
        ?? throw new DrToolsException($"{directory} is not a DrTools sandbox ({notASandbox}); it was left untouched.",
            DrErrorKind.NotAllowed);

    private static string FindDirectory(string id, string? root)
    {
        root ??= DefaultRoot;
        var matches = System.IO.Directory.Exists(root) && !string.IsNullOrWhiteSpace(id) && !id.Contains('/') && !id.StartsWith('.')
            ? System.IO.Directory.GetDirectories(root, id + "*")
            : [];
        return matches.Length switch
        {
            1 => matches[0],
            0 => throw new DrToolsException($"no sandbox '{id}' under {root} (drtools sandbox list shows them).",
                DrErrorKind.InvalidArgument),
            _
                => throw new DrToolsException($"sandbox id '{id}' is ambiguous: it matches "
                + $"{string.Join(", ", matches.Select(Path.GetFileName))}.", DrErrorKind.InvalidArgument),
        };
    }

    private static async Task Destroy(string directory, SandboxManifest manifest)
    {
        await StopServicesAsync(directory);
        var binaries = new PgBinaries(manifest.BinDirectory, manifest.MajorVersion);
        var segments = new List<(long Key, int Id)>();
        // Other engines' servers are killed with the rest of what runs in the folder: the sandbox's data goes with it.
        foreach (var member in manifest.Engine is null ? manifest.Members : [])
        {
            if (InterlockSegment.Of(member.DataDirectory) is { } segment) segments.Add(segment);
            var server = new LocalServer(binaries, member.DataDirectory, member.LogFile);
            try
            {
                // Immediate shutdown, not SIGKILL: it also removes the server's shared memory segment.
                await server.StopAsync(ShutdownMode.Immediate, CancellationToken.None);
            }
            catch (DrToolsException)
            {
                await server.KillAsync();
            }
        }
        await UnmountVolumesAsync(directory);
        await DeleteProvenDirectoryAsync(directory, $"sandbox {manifest.Id}");
        // A member killed earlier (a drill's fault left down) kept its segment: nothing of it runs any more.
        segments.ForEach(InterlockSegment.ReleaseIfUnused);
        LoopbackPort.Release(manifest.ClaimedPorts, manifest.Directory);
        if (System.IO.Directory.Exists(SocketDirectoryOf(manifest.Id))) System.IO.Directory.Delete(SocketDirectoryOf(manifest.Id),
            recursive: true);
    }

    /// <summary>
    /// Kills what still runs in a folder DrTools proved it made (a server a killed pg_ctl left behind, a backend, a
    /// pg_basebackup of a killed run), then deletes it. Never call it for a folder that was not proven.
    /// </summary>
    internal static async Task DeleteProvenDirectoryAsync(string directory, string what)
    {
        var leftovers = ProcessTable.FindByWorkingDirectory(directory);
        if (!await ProcessTable.KillAsync(leftovers, TimeSpan.FromSeconds(10)))
        {
            throw new DrToolsException($"{what}: processes {string.Join(", ", leftovers.Where(ProcessTable.IsAlive))} did not exit after "
                + $"SIGKILL; the directory {directory} was kept.");
        }
        if (System.IO.Directory.Exists(directory)) System.IO.Directory.Delete(directory, recursive: true);
    }
}
