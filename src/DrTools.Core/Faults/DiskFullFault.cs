using System.Globalization;
using DrTools.Core.Faults.Leftovers;
using DrTools.Core.Postgres;

namespace DrTools.Core.Faults;

/// <summary>
/// A sandbox member's WAL filesystem (a tmpfs the sandbox mounted, see WalDiskSize) filled with a file of DrTools'
/// until no byte is left, as a full disk leaves a server: its next WAL segment cannot be made. The undo deletes the
/// file and, if PostgreSQL stopped over it, starts the member again.
/// </summary>
internal sealed class DiskFullFault : IFaultKind
{
    private const int ENOSPC = 28;
    /// <summary>How a filler file is named, so a trace of one left behind is found.</summary>
    public const string FillerPrefix = "drtools-diskfull-";
    private static readonly TimeSpan RecoveryTimeout = TimeSpan.FromSeconds(60);

    public FaultKind Kind => FaultKind.DiskFull;

    public IReadOnlyList<FaultLeftover> Leftovers { get; } = [DiskFillers.Instance];

    public IReadOnlyDictionary<string, string> Parameters { get; } = new Dictionary<string, string> { ["leave"] = "bytes left free, e.g. "
        + "4MB (default 0: writes fail at once)" };

    public void Check(FaultRequest request)
    {
        _ = Leave(request);
        _ = VolumeOf(request);
    }

    public string Describe(FaultRequest request) =>
        $"DiskFull of {request.Member.Display}: its WAL filesystem "
            + $"filled{(Leave(request) > 0 ? $" to {SizeText.Format(Leave(request))} free" : "")}, freed on undo";

    public Task<IReadOnlyDictionary<string, string>> PrepareAsync(string id, FaultRequest request, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>
        {
            ["file"] = Path.Combine(VolumeOf(request), FillerPrefix + id),
            ["leave"] = Leave(request).ToString(CultureInfo.InvariantCulture),
            ["sandbox"] = request.Member.SandboxDirectory!,
            ["member"] = request.Member.Name,
        });

    /// <summary>Writes zeros (which a tmpfs must store) in ever smaller pieces until the filesystem refuses a byte more.</summary>
    public Task ApplyAsync(FaultRecord record, CancellationToken cancellationToken)
    {
        var leave = long.Parse(record.State["leave"], CultureInfo.InvariantCulture);
        using var file = File.OpenHandle(record.State["file"], FileMode.CreateNew, FileAccess.Write);
        var zeros = new byte[1 << 20];
        long offset = 0;
        for (var piece = zeros.Length; piece >= 512; piece /= 16)
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var free = new DriveInfo(Path.GetDirectoryName(record.State["file"])!).AvailableFreeSpace - leave;
                if (free <= 0) return Task.CompletedTask;
                try
                {
                    RandomAccess.Write(file, zeros.AsSpan(0, (int)Math.Min(piece, free)), offset);
                    offset += Math.Min(piece, free);
                }
                catch (IOException e) when ((e.HResult & 0xFFFF) == ENOSPC || e.Message.Contains("No space left", StringComparison.Ordinal))
                {
                    break;
                }
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Frees the space, then waits until the member answers again — or, if PostgreSQL gave up over the full disk (a
    /// PANIC, then a crash recovery that could not write either), starts it again.
    /// </summary>
    private static readonly TimeSpan StableFor = TimeSpan.FromSeconds(1);

    public async Task<string> UndoAsync(FaultRecord record, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(record.State["sandbox"])) return "its sandbox is gone, its WAL filesystem with it";
        var freed = File.Exists(record.State["file"]) ? new FileInfo(record.State["file"]).Length : 0;
        File.Delete(record.State["file"]);
        var sandbox = KillFault.SandboxOf(record.State["sandbox"]);
        var server = sandbox.Server(record.State["member"]);
        var member = sandbox.Target.Member(record.State["member"]);
        var outcome = "";
        await Polling.RequireAsync(async () =>
        {
            if (!server.IsRunning)
            {
                outcome = await KillFault.StartAgainAsync(record, cancellationToken);
                return true;
            }
            try
            {
                // Answering once is not enough: a backend's PANIC the postmaster has yet to act on lets a new connection
                // answer, then the server restarts into crash recovery (a write right after the undo met "the database
                // system is in recovery mode"). A connection that still answers a second later outlived any such restart.
                await using var connection = await member.OpenAsync(cancellationToken);
                await connection.ReadFirstAsync("select 1", r => r.GetInt32(0), cancellationToken);
                await Task.Delay(StableFor, cancellationToken);
                await connection.ReadFirstAsync("select 1", r => r.GetInt32(0), cancellationToken);
                outcome = "it answers";
                return true;
            }
            catch (Exception e) when (e is DrToolsException or Npgsql.NpgsqlException)
            {
                return false;
            }
        }, RecoveryTimeout, TimeSpan.FromMilliseconds(100), ()
            => $"{record.Member}: {SizeText.Format(freed)} freed, but its server neither answers nor stopped within "
            + $"{DurationText.Format(RecoveryTimeout)}: {server.LastLogLines()}", cancellationToken);
        return $"{SizeText.Format(freed)} freed; {outcome}";
    }

    private static string VolumeOf(FaultRequest request)
    {
        var refusal = $"DiskFull of {request.Member.Display}: fills the member's own WAL filesystem, which only a sandbox created with a "
            + $"WAL disk size has (New-DrSandbox -WalDiskSize 256MB, drtools sandbox up --wal-disk-size 256MB, runbook sandbox "
            + $"walDiskSize:; root)";
        return request.Member is { SandboxDirectory: not null, WalVolume: { } volume } ? volume
            : throw DrToolsException.Refused(refusal, DrErrorKind.InvalidArgument);
    }

    private static long Leave(FaultRequest request) =>
        request.Parameters.TryGetValue("leave", out var leave) ? SizeText.Parse(leave, "DiskFull leave", 0,
            Sandboxes.Sandbox.MaxWalDiskSize) : 0;
}
