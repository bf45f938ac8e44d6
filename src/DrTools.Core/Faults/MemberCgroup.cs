using DrTools.Core.Processes;

namespace DrTools.Core.Faults;

/// <summary>
/// A cgroup (v2) that labels a member's processes, so nftables can tell the member's own connections apart on a machine
/// where every server shares 127.0.0.1 (socket cgroupv2). It only labels: no controller is enabled in it. PostgreSQL's
/// backends fork from the postmaster and so inherit it. On undo the processes go back where they were.
/// </summary>
internal sealed record MemberCgroup(string Directory, string NftPath)
{
    private const string CgroupRoot = "/sys/fs/cgroup";
    /// <summary>drtools/member-PORT: level 2 in the cgroup v2 hierarchy.</summary>
    public const int Level = 2;

    /// <summary>The label of the member listening on <paramref name="port"/>; shared by every fault on that member.</summary>
    public static MemberCgroup For(int port)
    {
        var mount = Cgroup2Mount
            ?? throw new DrToolsException("network faults on a member's own connections need cgroup v2, which is not mounted here.",
                DrErrorKind.InvalidOperation);
        if (mount != CgroupRoot && !mount.StartsWith(CgroupRoot + "/", StringComparison.Ordinal))
        {
            throw new DrToolsException($"network faults need cgroup v2 under {CgroupRoot} (nftables looks there); it is mounted at "
                + $"{mount}.", DrErrorKind.InvalidOperation);
        }
        var relative = Path.Combine(Path.GetRelativePath(CgroupRoot, mount), "drtools", $"member-{port}").TrimStart('.', '/');
        return new MemberCgroup(Path.Combine(mount, "drtools", $"member-{port}"), relative);
    }

    /// <summary>The member labels present now (drtools/member-PORT), whichever fault made them.</summary>
    public static IReadOnlyList<string> Labels()
    {
        var root = Cgroup2Mount is { } mount ? Path.Combine(mount, "drtools") : null;
        return root is not null && System.IO.Directory.Exists(root) ? System.IO.Directory.GetDirectories(root) : [];
    }

    private static string? Cgroup2Mount => File.ReadLines("/proc/mounts").Select(l => l.Split(' ')).FirstOrDefault(f => f.Length > 2
        && f[2] == "cgroup2")?[1];

    public string Selector => $"socket cgroupv2 level {Level} \"{NftPath}\"";

    /// <summary>Where each process is now (PID=cgroup), for the undo; read before <see cref="Join"/>.</summary>
    public string Origins(IReadOnlyList<int> processes) => string.Join(";", processes
        .Select(pid => (Pid: pid, Origin: CgroupOf(pid)))
        // Already labelled by another fault on this member: that fault's record knows where it came from.
        .Where(p => p.Origin is not null && p.Origin != $"/drtools/{Path.GetFileName(Directory)}")
        .Select(p => $"{p.Pid}={p.Origin}"));

    /// <summary>Moves the processes into the label at <paramref name="directory"/> (a recorded label's folder).</summary>
    public static void Join(string directory, IReadOnlyList<int> processes)
    {
        System.IO.Directory.CreateDirectory(directory);
        foreach (var pid in processes)
        {
            try
            {
                File.WriteAllText(Path.Combine(directory, "cgroup.procs"), pid.ToString());
            }
            catch (IOException) when (!ProcessTable.IsAlive(pid))
            {
                // Exited meanwhile (a backend whose client left).
            }
        }
    }

    /// <summary>Puts every process still in the label at <paramref name="directory"/> back where it was (the hierarchy's root if unknown)
    /// and removes the label.</summary>
    public static void Leave(string directory, string origins)
    {
        if (!System.IO.Directory.Exists(directory)) return;
        var known = origins.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(o => o.Split('=', 2)).ToDictionary(o => o[0],
            o => o[1]);
        var hierarchy = Path.GetDirectoryName(Path.GetDirectoryName(directory))!;
        // A process in the label can fork while it is emptied (the postmaster starting a backend): the child is born in the
        // label, which cannot be removed until the child is moved too (a clean-clone run: "Device or resource busy").
        var emptying = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            MoveOut(directory, hierarchy, known);
            try
            {
                System.IO.Directory.Delete(directory);
                break;
            }
            catch (IOException) when (emptying.Elapsed < TimeSpan.FromSeconds(5))
            {
                Thread.Sleep(10);
            }
        }
        try
        {
            System.IO.Directory.Delete(Path.GetDirectoryName(directory)!);
        }
        catch (IOException)
        {
            // Another member's label is still there.
        }
    }

    private static void MoveOut(string directory, string hierarchy, Dictionary<string, string> known)
    {
        foreach (var pid in File.ReadAllLines(Path.Combine(directory, "cgroup.procs")))
        {
            var back = Path.Combine(hierarchy, known.GetValueOrDefault(pid, "/").TrimStart('/'));
            try
            {
                File.WriteAllText(Path.Combine(System.IO.Directory.Exists(back) ? back : hierarchy, "cgroup.procs"), pid);
            }
            catch (IOException)
            {
                // The process exited meanwhile.
            }
        }
    }

    /// <summary>The v2 cgroup of a process (the 0:: line of /proc/PID/cgroup), or null when it is gone.</summary>
    private static string? CgroupOf(int pid)
    {
        try
        {
            return File.ReadLines($"/proc/{pid}/cgroup").FirstOrDefault(l => l.StartsWith("0::", StringComparison.Ordinal))?[3..];
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Every living process of a member with a data directory: PostgreSQL's processes all run in it.</summary>
    public static IReadOnlyList<int> ProcessesOf(FaultMember member) =>
        member.DataDirectory is { } data ? ProcessTable.FindByWorkingDirectory(data) : [];
}
