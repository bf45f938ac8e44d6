namespace DrTools.Core.Tests;

/// <summary>
/// A folder made read-only on a bind mount over itself for one test (needs root): what opens it by its path from now on
/// finds it read-only, while a server that had its files open, or works in it by its working directory, writes on (a
/// remount of the whole file system to read-only is refused while a file is open for writing).
/// </summary>
public sealed class ReadOnlyBind : IDisposable
{
    private readonly string _folder;

    public ReadOnlyBind(string folder)
    {
        _folder = folder;
        Tmpfs.Run("mount", "--bind", folder, folder);
        try
        {
            Tmpfs.Run("mount", "-o", "remount,bind,ro", folder);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public void Dispose() => Tmpfs.Run("umount", "-l", _folder);
}
