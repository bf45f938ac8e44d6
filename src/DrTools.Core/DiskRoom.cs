using System.Globalization;

namespace DrTools.Core;

/// <summary>
/// The disk under a folder DrTools filled (a restore's instance, a drill's sandbox), looked at when what ran there
/// failed: with (almost) no room left, it stopped for its disk whatever its tool or server said (InnoDB that cannot make
/// a 12 MB file says only that InnoDB did not start; a standby whose WAL finds no room only stops streaming). That is an
/// error of the machine (exit 2) naming the folder, never a FAIL that blames a backup or a cluster which may be sound.
/// </summary>
public static class DiskRoom
{
    /// <summary>
    /// Less free than this is "almost none": a server's single allocations (a 16 MB WAL segment or redo log, InnoDB's
    /// 12 MB tablespaces, a Redis snapshot's temporary) leave up to that much behind when they do not fit.
    /// </summary>
    public const long AlmostFull = 64L << 20;

    /// <summary>
    /// Throws the error for <paramref name="what"/> in <paramref name="folder"/> (null: none made yet), which failed as
    /// <paramref name="said"/> says, when the folder's file system has less than <see cref="AlmostFull"/> free; else
    /// returns, and the failure stands. Call it before the folder is removed, which frees its room.
    /// </summary>
    /// <param name="innocent">What the failure would otherwise blame: "the backup".</param>
    public static void ThrowIfAlmostFull(string? folder, string what, string innocent, string said)
    {
        if (folder is null || !Directory.Exists(folder)) return;
        var free = new DriveInfo(folder).AvailableFreeSpace;
        if (free >= AlmostFull) return;
        var error = new IOException("No space left on device", 28);
        throw new DrToolsException($"{what} in {folder} stopped with {Megabytes(free)} free on its disk, not for {innocent}: "
            + $"{AtomicFile.Reason(error)} (it said: {said.Split('\n')[0].TrimEnd('.')}).", DrErrorKind.InvalidOperation, error);
    }

    /// <summary>
    /// The folders of the servers a drill runs or was given (a sandbox's, each MEMBER=DIRECTORY data directory), each
    /// with what to call it: a drill that fails with one of their disks (almost) full failed for the disk, not the cluster.
    /// </summary>
    public static IReadOnlyList<(string Folder, string What)> OfDrill(Sandboxes.Sandbox? sandbox, IEnumerable<string>? dataDirectories) =>
        sandbox is not null
            ? [(sandbox.Directory, "the drill's sandbox")]
            : [.. Failover.LocalControl.ParseDataDirectories(dataDirectories ?? []).Select(d => (d.Value, $"{d.Key}'s server"))];

    /// <summary>
    /// As <see cref="ThrowIfAlmostFull(string?, string, string, string)"/> for each of a drill's <paramref name="disks"/>
    /// (<see cref="OfDrill"/>), which failed as <paramref name="said"/> says.
    /// </summary>
    /// <param name="failure">The drill's error, when it threw: the probe history it carries goes with the disk's.</param>
    public static void ThrowIfDrillStopped(IEnumerable<(string Folder, string What)> disks, string said, Exception? failure = null)
    {
        try
        {
            foreach (var (folder, what) in disks) ThrowIfAlmostFull(folder, what, "the cluster", said);
        }
        catch (DrToolsException disk) when (failure is not null && Probes.ProbeHistory.CarriedBy(failure) is { } history)
        {
            throw Probes.ProbeHistory.Attach(disk, history);
        }
    }

    /// <summary>
    /// Whether <paramref name="failure"/> of a drill may have been its disk's doing unsaid (a server's own "No space left
    /// on device" to ALTER SYSTEM, a probe that never got an answer): not a cancellation, nor an error naming the disk.
    /// </summary>
    public static bool MayHideAFullDisk(Exception failure) => failure is not OperationCanceledException
        && !(failure is DrToolsException { InnerException: var inner } && AtomicFile.IsDiskProblem(inner));

    /// <summary>As <see cref="ThrowIfAlmostFull(string?, string, string, string)"/> for a restore that failed with
    /// <paramref name="failure"/>; a failure that already names the disk stands as it is.</summary>
    public static void ThrowIfRestoreStopped(string? folder, DrToolsException failure)
    {
        if (!AtomicFile.IsDiskProblem(failure.InnerException)) ThrowIfAlmostFull(folder, "the restore", "the backup", failure.Message);
    }

    private static string Megabytes(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MB";
}
