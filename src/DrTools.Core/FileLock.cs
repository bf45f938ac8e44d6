using System.Diagnostics;
using System.Runtime.InteropServices;

namespace DrTools.Core;

/// <summary>
/// An exclusive lock on a lock file (flock), for a read-modify-write of a file several processes share. The kernel
/// releases it when its holder exits or is killed, so a dead holder never blocks anyone.
/// </summary>
public sealed partial class FileLock : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private int _descriptor;

    private FileLock(int descriptor) => _descriptor = descriptor;

    /// <summary>Waits (at most a minute) until this process holds <paramref name="lockFile"/>; made when missing.</summary>
    public static FileLock Acquire(string lockFile)
    {
        var descriptor = open(lockFile, ReadWrite | Create | CloseOnExec, 0x1b6 /* 0666: whoever else shares the file */);
        // flock needs no write access: a lock file on a read-only disk still locks, and the write it guards says why it failed.
        if (descriptor < 0 && File.Exists(lockFile)) descriptor = open(lockFile, CloseOnExec, 0);
        if (descriptor < 0) throw AtomicFile.Failure("open the lock file", lockFile, Error());
        var waited = Stopwatch.StartNew();
        while (flock(descriptor, Exclusive | NonBlocking) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != WouldBlock && errno != Interrupted || waited.Elapsed > Timeout)
            {
                close(descriptor);
                throw errno == WouldBlock
                    ? new DrToolsException(
                        $"{lockFile} stayed locked by another DrTools process for {DurationText.Format(Timeout)}: " +
                        "try again when it is done.",
                        DrErrorKind.Timeout)
                    : AtomicFile.Failure("lock", lockFile, Error(errno));
            }
            Thread.Sleep(5);
        }
        return new FileLock(descriptor);
    }

    public void Dispose()
    {
        var descriptor = Interlocked.Exchange(ref _descriptor, -1);
        if (descriptor >= 0) close(descriptor); // closing the last descriptor releases the lock
    }

    private static IOException Error(int? errno = null)
    {
        var code = errno ?? Marshal.GetLastPInvokeError();
        return new IOException(Marshal.GetPInvokeErrorMessage(code), code);
    }

    private const int ReadWrite = 2;
    private const int Create = 0x40;
    private const int CloseOnExec = 0x80000;
    private const int Exclusive = 2;
    private const int NonBlocking = 4;
    private const int WouldBlock = 11;
    private const int Interrupted = 4;

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int flock(int descriptor, int operation);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int descriptor);
}
