using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace DrTools.Core;

/// <summary>
/// Every file DrTools writes goes through here: written whole to a temporary beside it, flushed, then renamed over it,
/// so a reader (or a crash, a full or read-only disk) sees the old file or the new one, never part of one. A replaced
/// file keeps its mode and owner (a server's configuration stays the server account's). A failure leaves no temporary
/// and is one line naming the path and why (no space, read-only, no permission).
/// </summary>
public static partial class AtomicFile
{
    /// <param name="mode">The file's mode from its first byte (a secret is never readable by others, even for a moment);
    /// default that of the file it replaces, or the umask's.</param>
    public static void Write(string path, string content, UnixFileMode? mode = null) => Write(path, Encoding.UTF8.GetBytes(content), mode);

    public static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode? mode = null)
    {
        var full = Path.GetFullPath(path);
        var temporary = Temporary(full);
        try
        {
            WriteTemporary(full, temporary, content, mode);
            File.Move(temporary, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            DeleteIfPossible(temporary);
            throw Failure("write", full, e);
        }
    }

    /// <summary>
    /// Files that belong together (a journal and the reports made from it): every one is written to its temporary before
    /// any is renamed, so a full or read-only disk leaves all the old files and no new one, never a mix of the two.
    /// </summary>
    public static void WriteAll(IReadOnlyList<(string Path, byte[] Content)> files)
    {
        var written = new List<(string Full, string Temporary)>();
        string? failed = null;
        try
        {
            foreach (var (path, content) in files)
            {
                failed = Path.GetFullPath(path);
                var temporary = Temporary(failed);
                written.Add((failed, temporary));
                WriteTemporary(failed, temporary, content, mode: null);
            }
            // Renames take no space; on a disk that turned read-only the first temporary has already failed.
            foreach (var (full, temporary) in written)
            {
                failed = full;
                File.Move(temporary, full, overwrite: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            foreach (var (_, temporary) in written) DeleteIfPossible(temporary);
            throw Failure("write", failed!, e);
        }
    }

    private static string Temporary(string full) =>
        Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");

    private static void WriteTemporary(string full, string temporary, ReadOnlySpan<byte> content, UnixFileMode? mode)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (mode is { } created) options.UnixCreateMode = created;
        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }
        if (File.Exists(full)) KeepModeAndOwner(full, temporary, keepMode: mode is null);
    }

    /// <summary>Makes a folder and its parents, or one line: <paramref name="what"/> at which path could not be made, and why.</summary>
    public static string MakeFolder(string path, string what)
    {
        try
        {
            Directory.CreateDirectory(path);
            return path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var file = Ancestors(Path.GetFullPath(path)).FirstOrDefault(File.Exists);
            var why = file is null ? Reason(e) : $"{file} is a file, not a folder";
            throw new DrToolsException($"cannot make {what} {path}: {why}.", DrErrorKind.InvalidOperation, e);
        }
    }

    /// <summary>Removes a folder made for files that then could not be written, if nothing is in it; else leaves it.</summary>
    public static void RemoveEmptyFolder(string path)
    {
        try
        {
            Directory.Delete(path, recursive: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not empty (someone else's files), or gone already: left as it is.
        }
    }

    private static IEnumerable<string> Ancestors(string path)
    {
        for (var at = path; !string.IsNullOrEmpty(at); at = Path.GetDirectoryName(at)) yield return at;
    }

    /// <summary>
    /// Adds <paramref name="text"/> to the end of the file (made when missing), written whole as <see cref="Write(string, string)"/>.
    /// </summary>
    public static void Append(string path, string text) => Write(path, (File.Exists(path) ? File.ReadAllText(path) : "") + text);

    /// <summary>One line for a file-system failure at <paramref name="path"/>: what could not be done there, and why.</summary>
    public static DrToolsException Failure(string action, string path, Exception error) =>
        new($"cannot {action} {path}: {Reason(error)}.", DrErrorKind.InvalidOperation, error);

    /// <summary>
    /// Copies a file as a whole (a Redis snapshot into a backup): on a full or read-only disk the part copied is removed
    /// and the failure is one line naming the copy.
    /// </summary>
    public static void Copy(string source, string destination)
    {
        try
        {
            File.Copy(source, destination);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file already there (FileMode.CreateNew) is someone else's: only a copy this call began is removed.
            if (e is not IOException { HResult: Eexist }) DeleteIfPossible(destination);
            throw Failure("write", destination, e);
        }
    }

    /// <summary>
    /// A tool's own words for a full or read-only disk (pg_basebackup's 'could not write to file "…": No space left on
    /// device', cp's, initdb's) as the one line DrTools' own writes give: "cannot write PATH: no space left on the device";
    /// null when its output says no such thing.
    /// </summary>
    /// <param name="writing">What the tool writes, for a tool that names only the errno or a relative file (mariadb-dump's
    /// "Got errno 28 on write", InnoDB's "failed with error 28", initdb's "postmaster.pid": No space left on device).</param>
    public static string? DiskFailureIn(string output, string? writing = null) => DiskErrorIn(output, writing)?.Text;

    /// <summary>As <see cref="DiskFailureIn"/>, with the error as DrTools' own writes meet it (for <see cref="IsDiskProblem"/>).</summary>
    public static (string Text, IOException Error)? DiskErrorIn(string output, string? writing = null)
    {
        if (ToolDiskError().Match(output) is { Success: true } named)
        {
            var action = named.Groups["directory"].Success ? "make" : "write";
            var error = StrerrorError(named.Groups["why"].Value);
            return ($"cannot {action} {named.Groups["path"].Value}: {Reason(error)}", error);
        }
        if (writing is null) return null;
        var found = ToolErrno().Match(output) is { Success: true } errno
            ? new IOException("", int.Parse(errno.Groups["errno"].Value, CultureInfo.InvariantCulture))
            : ToolStrerror().Match(output) is { Success: true } words ? StrerrorError(words.Value) : null;
        return found is null ? null : ($"cannot write {writing}: {Reason(found)}", found);
    }

    /// <summary>
    /// The first line of a server's log that says it met a full or read-only disk or an exceeded quota (its own words, or
    /// a restore_command's cp), with that error as DrTools' own writes meet it; null when no line says so.
    /// </summary>
    public static (string Line, IOException Error)? DiskErrorLineIn(string log)
    {
        foreach (var line in log.Split('\n'))
        {
            if (ToolStrerror().Match(line) is not { Success: true } words) continue;
            return (line.Trim(), StrerrorError(words.Value));
        }
        return null;
    }

    [System.Text.RegularExpressions.GeneratedRegex(
        @"(?<directory>directory )?[""'](?<path>/[^""']+)[""']: (?<why>No space left on device|Read-only file system|Disk quota exceeded)")]
    private static partial System.Text.RegularExpressions.Regex ToolDiskError();

    [System.Text.RegularExpressions.GeneratedRegex(@"\b(?:errno:? |Error number |error |Errcode: )(?<errno>28|30|122)\b")]
    private static partial System.Text.RegularExpressions.Regex ToolErrno();

    [System.Text.RegularExpressions.GeneratedRegex("No space left on device|Read-only file system|Disk quota exceeded")]
    private static partial System.Text.RegularExpressions.Regex ToolStrerror();

    /// <summary>A tool's strerror words (as <see cref="ToolStrerror"/> finds them) as the errno they stand for.</summary>
    private static IOException StrerrorError(string words) =>
        new(words, words switch { "No space left on device" => Enospc, "Read-only file system" => Erofs, _ => Edquot });

    /// <summary>A full or read-only disk, or an exceeded quota: where DrTools writes, not what it reads.</summary>
    public static bool IsDiskProblem(Exception? error) =>
        error is IOException { HResult: Enospc or Erofs or Edquot } || NoRoomToCreate(error);

    /// <summary>.NET's own words when a file it creates with its size given up front (the tar reader's) finds no room: no errno.</summary>
    private static bool NoRoomToCreate(Exception? error) =>
        error is IOException { Message: var message } && message.EndsWith("because the disk was full.", StringComparison.Ordinal);

    /// <summary>Why a file-system call failed, in words (the errno for the usual cases, else the first line of the message).</summary>
    public static string Reason(Exception error) => error switch
    {
        UnauthorizedAccessException => "permission denied",
        IOException { HResult: Enospc } => "no space left on the device",
        IOException { HResult: Erofs } => "the file system is read-only",
        IOException { HResult: Edquot } => "the disk quota is exceeded",
        IOException when NoRoomToCreate(error) => "no space left on the device",
        // A tool's strerror text, as DiskFailureIn finds it.
        IOException { Message: "No space left on device" } => "no space left on the device",
        IOException { Message: "Read-only file system" } => "the file system is read-only",
        IOException { Message: "Disk quota exceeded" } => "the disk quota is exceeded",
        _ => error.Message.Split('\n')[0].TrimEnd('.'),
    };

    /// <summary>Removes what a failed write left; a file that cannot be removed (the disk went read-only) is left to the error.</summary>
    private static void DeleteIfPossible(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The write's own failure is what gets reported.
        }
    }

    private const int Enospc = 28;
    private const int Erofs = 30;
    private const int Edquot = 122;
    private const int Eexist = 17;

    private static void KeepModeAndOwner(string original, string replacement, bool keepMode)
    {
        if (keepMode) File.SetUnixFileMode(replacement, File.GetUnixFileMode(original));
        if (!Environment.IsPrivilegedProcess) return;
        // statx's layout is the same on every architecture: uid at byte 20, gid at byte 24.
        var buffer = new byte[256];
        if (statx(AtFdCwd, original, 0, StatxUidGid, buffer) != 0) return;
        var uid = BitConverter.ToUInt32(buffer, 20);
        var gid = BitConverter.ToUInt32(buffer, 24);
        if (chown(replacement, uid, gid) != 0)
        {
            throw new IOException($"cannot give {replacement} to uid {uid} (errno {Marshal.GetLastPInvokeError()})");
        }
    }

    private const int AtFdCwd = -100;
    private const uint StatxUidGid = 0x8 | 0x10;

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int statx(int directoryFd, string path, int flags, uint mask, byte[] buffer);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int chown(string path, uint owner, uint group);
}
