using System.Text.Json;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Runbooks;

/// <summary>
/// Runs' scratch folders (${run.directory}): one per run under DRTOOLS_RUNS_ROOT or &lt;temp&gt;/drtools-runs, each
/// with a marker naming its run and owner. A run removes its own; one whose process was killed is found here, listed,
/// its journal marked killed, and removed. Folders without a valid marker are never touched.
/// </summary>
public static class RunScratch
{
    private const string MarkerFile = ".drtools-run.json";
    private const string CreatorMark = "drtools-run/1";

    public static string DefaultRoot =>
        Environment.GetEnvironmentVariable("DRTOOLS_RUNS_ROOT") is { Length: > 0 } root ? root : Path.Combine(Path.GetTempPath(),
            "drtools-runs");

    /// <summary>Makes the scratch folder of a run owned by this process, with its marker.</summary>
    internal static string Create(string id, string journalPath, DateTimeOffset startedAt, string? root = null)
    {
        root = Path.GetFullPath(root ?? DefaultRoot);
        AtomicFile.MakeFolder(root, "the runs' scratch folder");
        var owner = ProcessOwner.Current;
        var marker = new RunScratchMarker(CreatorMark, id, owner.Pid, owner.StartTicks, Path.GetFullPath(journalPath), startedAt);
        // Owned by the server account: server processes write into it (backup repositories).
        return OwnedFolder.Create(root, id, "the runs' scratch folder",
            folder => AtomicFile.Write(Path.Combine(folder, MarkerFile), JsonSerializer.Serialize(marker, RunJournal.JsonOptions)));
    }

    /// <summary>The scratch folders under the runs folder; those of killed runs are Orphaned, folders without a marker
    /// NotASandbox.</summary>
    public static IReadOnlyList<SandboxInfo> List(string? root = null)
    {
        root ??= DefaultRoot;
        if (!Directory.Exists(root)) return [];
        return Directory.GetDirectories(root).Order(StringComparer.Ordinal).Select(directory => ReadMarker(directory,
            out var notARun) is { } marker
            ? new SandboxInfo(marker.Id, directory, marker.StartedAt, marker.OwnerPid, false, [], marker.Owner.IsAlive
                ? SandboxState.Running : SandboxState.Orphaned)
            {
                Kind = SandboxKind.RunScratch,
                Note = $"run journal {marker.Journal}",
            }
            : new SandboxInfo(Path.GetFileName(directory), directory, null, null, false, [],
                SandboxState.NotASandbox) { Kind = SandboxKind.Unknown, Note = notARun }).ToList();
    }

    /// <summary>
    /// Removes the scratch folder of a run whose process is gone and marks its journal killed. A live run's folder, or a
    /// folder without a valid marker, is refused untouched.
    /// </summary>
    public static async Task RemoveOrphanAsync(string directory)
    {
        var marker = ReadMarker(directory, out var notARun)
            ?? throw new DrToolsException($"{directory} is not a DrTools run folder ({notARun}); it was left untouched.",
                DrErrorKind.NotAllowed);
        if (marker.Owner.IsAlive)
        {
            throw new DrToolsException($"run {marker.Id} is still running (PID {marker.OwnerPid}); its scratch folder was left untouched.",
                DrErrorKind.InvalidOperation);
        }
        RunJournal.MarkKilled(marker.Journal);
        await Sandbox.DeleteProvenDirectoryAsync(directory, $"run {marker.Id}");
    }

    private static RunScratchMarker? ReadMarker(string directory, out string? notARun)
    {
        if (OwnedFolder.ReadProof<RunScratchMarker>(directory, MarkerFile, RunJournal.JsonOptions,
            out notARun) is not { } marker) return null;
        notARun = marker.Creator == CreatorMark && marker.Id == Path.GetFileName(Path.TrimEndingDirectorySeparator(directory)) ? null
            : $"{MarkerFile} was not written by DrTools for this folder";
        return notARun is null ? marker : null;
    }
}
