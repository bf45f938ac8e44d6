using System.Diagnostics;

namespace DrTools.Core.Processes;

/// <summary>
/// A long-running server a sandbox starts besides PostgreSQL (etcd, Patroni, HAProxy): in a session of its own, so
/// Ctrl+C in the terminal that started it never reaches it; as the server account; its output appended to a log file;
/// its working directory inside the sandbox, which is how removal finds and stops it, also after DrTools was killed.
/// As the server account unless <c>asServerAccount</c> is false (DrTools' own fault proxy, which reads DrTools' files).
/// </summary>
public static class ServiceProcess
{
    public static void Start(string description, string workingDirectory, string logFile, string program, IReadOnlyList<string> arguments,
        bool asServerAccount = true, IReadOnlyDictionary<string, string>? environment = null)
    {
        // sh redirects, then becomes the program.
        List<string> shell = ["/bin/sh", "-c", "exec \"$@\" >>\"$DRTOOLS_SERVICE_LOG\" 2>&1 </dev/null", "sh", program, .. arguments];
        var command = asServerAccount && ServerAccount.Current.RunAsUser is { } user ? ["setpriv", $"--reuid={user}", $"--regid={user}",
            "--init-groups", "--", .. shell] : shell;
        // setsid -f forks: the service is not this process's child (init reaps it, as it does a pg_ctl-started server),
        // and only setsid's own quick exit is waited for here.
        var info = new ProcessStartInfo("setsid") { UseShellExecute = false, WorkingDirectory = workingDirectory };
        info.ArgumentList.Add("-f");
        foreach (var argument in command) info.ArgumentList.Add(argument);
        info.Environment["DRTOOLS_SERVICE_LOG"] = logFile;
        info.Environment["LC_ALL"] = "C.UTF-8";
        // Inherited through setsid and sh: unlike arguments, not shown to other users by ps.
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        try
        {
            using var process = Process.Start(info)!;
            process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new DrToolsException($"{description}: cannot start '{program}': {e.Message}", DrErrorKind.ExternalCommandFailed);
        }
    }

    /// <summary>What a service logged after <paramref name="offset"/> bytes of its log (this start of it).</summary>
    public static string Since(string logFile, long offset)
    {
        try
        {
            using var stream = new FileStream(logFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            stream.Seek(Math.Min(offset, stream.Length), SeekOrigin.Begin);
            return new StreamReader(stream).ReadToEnd();
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>The last lines of a service's log, for error messages.</summary>
    public static string LastLines(string logFile, int count = 3)
    {
        try
        {
            var lines = File.ReadLines(logFile).Where(l => l.Trim().Length > 0).TakeLast(count).ToList();
            return lines.Count == 0 ? $"{logFile} is empty" : string.Join(" | ", lines);
        }
        catch (IOException)
        {
            return $"no log at {logFile}";
        }
    }
}
