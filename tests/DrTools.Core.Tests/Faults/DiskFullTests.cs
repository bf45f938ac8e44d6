using DrTools.Core.Faults;
using DrTools.Core.Sandboxes;
using Npgsql;

namespace DrTools.Core.Tests;

/// <summary>DiskFull on a sandbox whose members keep pg_wal on a tmpfs of their own (needs root, as CI is).</summary>
[Collection("Faults")]
public sealed class DiskFullTests
{
    [Fact]
    public async Task A_full_WAL_disk_makes_writes_fail_and_after_the_undo_the_member_writes_again_and_removal_leaves_no_mount()
    {
        using var root = new TemporaryRoot();
        var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 0, Root = root.Path, WalDiskSize = 128L << 20 }, CancellationToken.None);
        try
        {
            Assert.Equal(Path.Combine(sandbox.Directory, "volumes", "node0"), Assert.Single(Sandbox.MountPointsUnder(sandbox.Directory)));
            await Sql.ExecuteAsync(sandbox, "node0", "create table filler (x text)");
            var request = FaultTargets.Resolve(FaultKind.DiskFull, sandbox.Target, sandbox, "node0", new Dictionary<string, string>(), null);
            var fault = await Faults.Faults.StartAsync(request, null, CancellationToken.None);

            Assert.Equal(0, new DriveInfo(sandbox.WalVolume("node0")!).AvailableFreeSpace);
            Assert.EndsWith(fault.Id, Assert.Single((await FaultTrace.FindAsync(FaultMembers.Of(sandbox), CancellationToken.None)).Fillers));
            // Each round needs a new WAL segment, which the full filesystem cannot hold.
            var failure = await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                for (var round = 0; round < 20; round++) await Sql.ExecuteAsync(sandbox, "node0", "insert into filler select repeat('x', 1000) from generate_series(1, 20000); select pg_switch_wal()");
            });
            Assert.True(failure is NpgsqlException or DrToolsException, failure.ToString());
            Assert.Contains("No space left on device", File.ReadAllText(sandbox.Members[0].LogFile));

            var end = await Faults.Faults.StopAsync(fault, CancellationToken.None);

            Assert.True(end.Undone, end.Undo);
            Assert.Matches(@"^\d+(kB|MB| bytes) freed; (started again|it answers)", end.Undo);
            await Sql.ExecuteAsync(sandbox, "node0", "insert into filler values ('after the disk was freed')");
            Assert.Equal(1L, await Sql.ScalarAsync<long>(sandbox, "node0", "select count(*) from filler where x = 'after the disk was freed'"));
            Assert.True((await FaultTrace.FindAsync(FaultMembers.Of(sandbox), CancellationToken.None)).Clear);
        }
        finally
        {
            await sandbox.DisposeAsync();
        }
        Assert.Empty(Sandbox.MountPointsUnder(root.Path));
        Assert.False(Directory.Exists(sandbox.Directory));
    }

    [Fact]
    public async Task DiskFull_is_refused_in_one_line_without_a_WAL_filesystem_of_the_sandbox_and_a_bad_size_is_named()
    {
        using var root = new TemporaryRoot();
        var sizeError = await Assert.ThrowsAsync<DrToolsException>(() => Sandbox.CreateAsync(new SandboxOptions { Root = root.Path, WalDiskSize = 1 << 20 }, CancellationToken.None));
        Assert.Equal("WAL disk size 1MB is out of range; from 128MB to 64GB.", sizeError.Message);
        Assert.Empty(Sandbox.List(root.Path));

        var member = FaultMembers.From(Postgres.DbMember.Parse("Host=127.0.0.1;Port=5432;Username=x", 0));
        var refused = Assert.Throws<DrToolsException>(() => Faults.Faults.Plan(new FaultRequest(FaultKind.DiskFull, member)));
        Assert.StartsWith("DiskFull of 127.0.0.1:5432: fills the member's own WAL filesystem, which only a sandbox created with a WAL disk size has", refused.Message);
        Assert.EndsWith("Nothing was changed.", refused.Message);
        Assert.Contains("DiskFull leave: 'lots' is not a size", Assert.Throws<DrToolsException>(() => Faults.Faults.Plan(new FaultRequest(FaultKind.DiskFull, member) { Parameters = new Dictionary<string, string> { ["leave"] = "lots" } })).Message);
    }
}
