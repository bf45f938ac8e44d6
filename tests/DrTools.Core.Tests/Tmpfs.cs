using System.Diagnostics;

namespace DrTools.Core.Tests;

/// <summary>A small tmpfs mounted on a folder for one test (needs root, as CI is): a disk that fills or turns read-only on cue.</summary>
public sealed class Tmpfs : IDisposable
{
    public Tmpfs(string folder, string size)
    {
        Directory.CreateDirectory(folder);
        Path = folder;
        Run("mount", "-t", "tmpfs", "-o", $"size={size},mode=1777", "tmpfs", folder);
    }

    public string Path { get; }

    /// <summary>Writes a filler file until the file system has no byte left but <paramref name="free"/> (whole 4 kB pages).</summary>
    /// <param name="inUse">Servers run there, which may free some room again as they meet the full disk: not checked.</param>
    public void Fill(int free = 0, bool inUse = false)
    {
        using var filler = new FileStream(System.IO.Path.Combine(Path, "filler"), FileMode.CreateNew);
        var block = new byte[4096];
        try
        {
            while (true) filler.Write(block);
        }
        catch (IOException)
        {
            // Full: what the test wanted.
        }
        filler.SetLength(filler.Length - free);
        if (!inUse) Assert.Equal(free, new DriveInfo(Path).AvailableFreeSpace);
    }

    public void MakeReadOnly() => Run("mount", "-o", "remount,ro", Path);

    public void Dispose() => Run("umount", "-l", Path);

    internal static void Run(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), $"{file} did not finish");
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', arguments)}: {error}");
    }
}
