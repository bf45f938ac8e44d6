using DrTools.Core.Processes;

namespace DrTools.Core.Sandboxes;

// A sandbox created with a WAL disk size: each member's pg_wal on a tmpfs of that size, mounted in the sandbox's
// volumes/ folder, so a DiskFull fault can fill a member's WAL disk as a full disk would — and nothing else.
public sealed partial class Sandbox
{
    public const long MinWalDiskSize = 128L << 20;
    public const long MaxWalDiskSize = 64L << 30;

    /// <summary>The size of each member's WAL filesystem; null when pg_wal is on the sandbox's own disk.</summary>
    public long? WalDiskSize => _manifest.WalDiskSize;

    /// <summary>Where a member's WAL filesystem is mounted; null without one.</summary>
    public string? WalVolume(string memberName) => WalDiskSize is null ? null : Path.Combine(Directory, "volumes", memberName);

    /// <summary>Mounts the member's WAL filesystem; returns the initdb / pg_basebackup argument that puts pg_wal on it.</summary>
    private async Task<string[]> MountWalVolumeAsync(SandboxMember member, CancellationToken cancellationToken)
    {
        if (WalDiskSize is not { } size || WalVolume(member.Name) is not { } volume) return [];
        System.IO.Directory.CreateDirectory(volume);
        await CommandRunner.RunAsync(new CommandSpec($"mount of {member.Name}'s WAL filesystem", "mount", ["-t", "tmpfs", "-o",
            $"size={size},mode=0700", $"drtools-{Id}", volume]), cancellationToken);
        ServerAccount.Current.Own(volume);
        return [$"--waldir={Path.Combine(volume, "pg_wal")}"];
    }

    /// <summary>
    /// Checkpoints often enough for pg_wal to fit its disk in normal running (PostgreSQL's default max_wal_size is 1GB),
    /// and soon after a drill (the segments of a timeline left behind go at the next one): only a fault — DiskFull, a
    /// slot holding WAL, a stuck archiver — fills it, as on a well-sized production disk.
    /// </summary>
    private string WalDiskSettings() => WalDiskSize is { } size
        ? $"""

            # pg_wal is on a {SizeText.Format(size)} filesystem of its own
            max_wal_size = {Math.Max(32, (size >> 20) / 4)}MB
            min_wal_size = 32MB
            checkpoint_timeout = 30s

            """
        : "";

    private static void CheckWalDisk(SandboxOptions options)
    {
        if (options.WalDiskSize is not { } size) return;
        if (options.Topology == SandboxTopology.Patroni) throw new DrToolsException("a WAL disk size is for a streaming sandbox: Patroni "
            + "makes its members' data directories itself.", DrErrorKind.InvalidArgument);
        if (!Environment.IsPrivilegedProcess) throw new DrToolsException("a WAL disk size needs root: DrTools mounts a tmpfs of that size "
            + "for each member's pg_wal.", DrErrorKind.NotAllowed);
        if (size is < MinWalDiskSize or > MaxWalDiskSize) throw new DrToolsException($"WAL disk size {SizeText.Format(size)} is out of "
            + $"range; from {SizeText.Format(MinWalDiskSize)} to {SizeText.Format(MaxWalDiskSize)}.", DrErrorKind.InvalidArgument);
    }

    /// <summary>Unmounts whatever is mounted inside a sandbox's folder, deepest first (lazily if it is busy), before it is
    /// deleted.</summary>
    private static async Task UnmountVolumesAsync(string directory)
    {
        foreach (var mountPoint in MountPointsUnder(directory).OrderByDescending(m => m.Length))
        {
            try
            {
                await CommandRunner.RunAsync(new CommandSpec($"unmount of {mountPoint}", "umount", [mountPoint]), CancellationToken.None);
            }
            catch (DrToolsException)
            {
                await CommandRunner.RunAsync(new CommandSpec($"lazy unmount of {mountPoint}", "umount", ["-l", mountPoint]),
                    CancellationToken.None);
            }
        }
    }

    /// <summary>The mount points inside <paramref name="directory"/>, from /proc/self/mountinfo (whose paths escape spaces as
    /// octal).</summary>
    internal static IReadOnlyList<string> MountPointsUnder(string directory)
    {
        var prefix = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)) + "/";
        return File.ReadLines("/proc/self/mountinfo")
            .Select(line => line.Split(' ')[4])
            .Select(path => System.Text.RegularExpressions.Regex.Replace(path, @"\\([0-7]{3})",
                m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString()))
            .Where(path => path.StartsWith(prefix, StringComparison.Ordinal))
            .ToList();
    }
}
