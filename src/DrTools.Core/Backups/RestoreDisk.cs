using System.Globalization;

namespace DrTools.Core.Backups;

/// <summary>
/// The disk a restore writes to, looked at when the restore failed: with (almost) no room left there, it stopped for
/// its disk whatever its tool or server said (InnoDB that cannot make a 12 MB file says only that InnoDB did not start).
/// That is an error of the machine (exit 2) naming the folder, never a FAIL that blames a backup which may be sound.
/// </summary>
public static class RestoreDisk
{
    /// <summary>
    /// Less free than this is "almost none": a server's single allocations (a 16 MB WAL segment or redo log, InnoDB's
    /// 12 MB tablespaces, a Redis snapshot's temporary) leave up to that much behind when they do not fit.
    /// </summary>
    public const long AlmostFull = 64L << 20;

    /// <summary>
    /// Throws the error for a restore into <paramref name="folder"/> (null: none made yet) that failed with
    /// <paramref name="failure"/> when the folder's file system has less than <see cref="AlmostFull"/> free; else returns,
    /// and the failure stands. Call it before the restore's instance is removed, which frees its room.
    /// </summary>
    public static void ThrowIfFull(string? folder, DrToolsException failure)
    {
        if (folder is null || !Directory.Exists(folder) || AtomicFile.IsDiskProblem(failure.InnerException)) return;
        var free = new DriveInfo(folder).AvailableFreeSpace;
        if (free >= AlmostFull) return;
        var said = failure.Message.Split('\n')[0].TrimEnd('.');
        var error = new IOException("No space left on device", 28);
        throw new DrToolsException($"the restore in {folder} stopped with {Megabytes(free)} free on its disk, not for the backup: "
            + $"{AtomicFile.Reason(error)} (it said: {said}).", DrErrorKind.InvalidOperation, error);
    }

    private static string Megabytes(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MB";
}
