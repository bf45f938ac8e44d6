using System.Diagnostics;
using System.Runtime.InteropServices;

namespace DrTools.Core.Processes;

/// <summary>
/// The OS account PostgreSQL server processes run under. PostgreSQL refuses to run as root, so when DrTools runs as root
/// (as CI does) server processes run as the 'postgres' account (DRTOOLS_PG_USER overrides) and the files they use are given to it.
/// </summary>
public sealed partial class ServerAccount
{
    private ServerAccount(string? runAsUser, uint uid, uint gid)
    {
        RunAsUser = runAsUser;
        _uid = uid;
        _gid = gid;
    }

    private readonly uint _uid;
    private readonly uint _gid;

    /// <summary>The account to switch to, or null when server processes run as the current user.</summary>
    public string? RunAsUser { get; }

    private static readonly Lazy<ServerAccount> Detected = new(Detect);

    public static ServerAccount Current => Detected.Value;

    private static ServerAccount Detect()
    {
        if (!Environment.IsPrivilegedProcess) return new ServerAccount(null, 0, 0);
        var user = Environment.GetEnvironmentVariable("DRTOOLS_PG_USER") is { Length: > 0 } named ? named : "postgres";
        var entry = getpwnam(user);
        if (entry == IntPtr.Zero)
        {
            throw new DrToolsException($"running as root, PostgreSQL must run as another account, but the account '{user}' does not exist "
                + $"(create it or set DRTOOLS_PG_USER).", DrErrorKind.InvalidOperation);
        }
        var passwd = Marshal.PtrToStructure<Passwd>(entry);
        return new ServerAccount(user, passwd.Uid, passwd.Gid);
    }

    /// <summary>The program and arguments that run <paramref name="file"/> under this account.</summary>
    public (string File, IReadOnlyList<string> Arguments) Wrap(string file, IReadOnlyList<string> arguments) =>
        RunAsUser is null ? (file, arguments) : ("runuser", ["-u", RunAsUser, "--", file, .. arguments]);

    /// <summary>Gives a file or directory this process created to the server account.</summary>
    public void Own(string path)
    {
        if (RunAsUser is null) return;
        if (chown(path, _uid, _gid) != 0)
        {
            throw new DrToolsException($"cannot give '{path}' to the account '{RunAsUser}' (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    /// <summary>Gives a directory and everything in it (not what symbolic links point to) to the server account.</summary>
    public void OwnTree(string directory)
    {
        if (RunAsUser is null) return;
        Own(directory);
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
        {
            if (entry.LinkTarget is null) Own(entry.FullName);
        }
    }

    /// <summary>
    /// Refuses, in one line, a folder the server account cannot enter (a server started there fails with raw permission
    /// errors), naming the first folder on the way that shuts it out. Asked of the account itself, so ACLs and groups count.
    /// </summary>
    public void DemandCanEnter(string folder, string what)
    {
        if (RunAsUser is null) return;
        var full = Path.GetFullPath(folder);
        var path = new List<string>();
        for (var at = full; !string.IsNullOrEmpty(at); at = Path.GetDirectoryName(at)) path.Insert(0, at);
        const string FirstShut = "for d; do test -x \"$d\" || { echo \"$d\"; exit 1; }; done";
        var start = new ProcessStartInfo("runuser", ["-u", RunAsUser, "--", "sh", "-c", FirstShut, "sh", .. path])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var check = Process.Start(start)
            ?? throw new DrToolsException($"cannot run runuser to check that '{RunAsUser}' can enter {full}.");
        var output = check.StandardOutput.ReadToEndAsync();
        if (!check.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            check.Kill();
            throw new DrToolsException($"checking that '{RunAsUser}' can enter {full} did not finish within 30s.", DrErrorKind.Timeout);
        }
        if (check.ExitCode == 0) return;
        var shut = output.Result.Trim() is { Length: > 0 } named ? named : full;
        throw new DrToolsException(
            $"the server account '{RunAsUser}' cannot enter {shut} ({ModeText(shut)}), so no server can start in {what} {full}: " +
            $"choose a folder it can reach (DRTOOLS_SANDBOX_ROOT or --root), or let it through with chmod o+x {shut}.",
            DrErrorKind.InvalidArgument);
    }

    private static string ModeText(string folder) => System.IO.Directory.Exists(folder)
        ? $"mode {Convert.ToString((int)File.GetUnixFileMode(folder), 8).PadLeft(4, '0')}"
        : "it does not exist";

    [StructLayout(LayoutKind.Sequential)]
    private struct Passwd
    {
        public IntPtr Name;
        public IntPtr Password;
        public uint Uid;
        public uint Gid;
        public IntPtr Gecos;
        public IntPtr Dir;
        public IntPtr Shell;
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr getpwnam(string name);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int chown(string path, uint owner, uint group);
}
