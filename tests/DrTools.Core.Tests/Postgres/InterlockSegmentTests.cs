using DrTools.Core.Postgres;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

/// <summary>
/// A killed member's shared memory: PostgreSQL frees a killed postmaster's segment only when it starts again on the same
/// lock file, so a rejoin that removed the stale lock file, or a removed sandbox, left one System V segment (and dynamic
/// shared memory in /dev/shm) per killed server until the machine restarted (about 600 after a day of test runs).
/// </summary>
public sealed class InterlockSegmentTests
{
    [Fact]
    public async Task A_killed_member_s_segment_is_freed_by_its_stale_lock_s_removal_and_by_the_sandbox_s()
    {
        using var root = new TemporaryRoot();
        var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        (long Key, int Id) primary, standby;
        try
        {
            // Dynamic shared memory is in the member's folder, gone with it.
            Assert.NotEqual(0L, await Sql.ScalarAsync<long>(sandbox, "node0", "select count(*) from pg_ls_dir('pg_dynshmem')"));
            primary = Assert.NotNull(InterlockSegment.Of(sandbox.Server("node0").DataDirectory));
            standby = Assert.NotNull(InterlockSegment.Of(sandbox.Server("node1").DataDirectory));
            await KillAsync(sandbox, "node0");
            Assert.True(Exists(primary), "the killed postmaster's segment was already gone: nothing was tested");

            await sandbox.Server("node0").ClearStaleLockAsync(CancellationToken.None);
            Assert.False(Exists(primary), $"segment {primary} is left after the stale lock file was removed");

            await KillAsync(sandbox, "node1");
            Assert.True(Exists(standby), "the killed postmaster's segment was already gone: nothing was tested");
        }
        finally
        {
            await sandbox.DisposeAsync();
        }
        Assert.False(Exists(standby), $"segment {standby} is left after the sandbox was removed");
    }

    /// <summary>The postmaster killed, then its children gone (they notice its death on their own).</summary>
    private static async Task KillAsync(Sandbox sandbox, string member)
    {
        var server = sandbox.Server(member);
        Assert.NotNull(await server.KillAsync());
        await Polling.RequireAsync(() => Task.FromResult(ProcessTable.FindByWorkingDirectory(server.DataDirectory).Count == 0),
            TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(20), () => $"{member}'s processes outlived its postmaster",
            CancellationToken.None);
    }

    private static bool Exists((long Key, int Id) segment) => File.ReadLines("/proc/sysvipc/shm").Skip(1)
        .Select(row => row.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        .Any(fields => fields[0] == segment.Key.ToString() && fields[1] == segment.Id.ToString());
}
