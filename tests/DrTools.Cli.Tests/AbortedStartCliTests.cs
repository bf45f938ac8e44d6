using System.Diagnostics;
using System.Security.Cryptography;
using DrTools.Core.Backups;
using DrTools.Core.Sandboxes;
using DrTools.Core.Tests;

namespace DrTools.Cli.Tests;

/// <summary>A restored server that aborts as it starts: the restore ends at once naming why, not at the start timeout.</summary>
public sealed class AbortedStartCliTests
{
    /// <summary>
    /// A physical MariaDB backup holding a binlog index of the restored server's name that lists a binlog it lacks:
    /// mariadb-backup --prepare and innochecksum pass, then mariadbd aborts ("Can't init tc log"). Verification waited
    /// the whole 60 s start timeout for it before.
    /// </summary>
    [Fact]
    public async Task A_restored_MariaDB_server_that_aborts_at_start_fails_verification_at_once_naming_its_last_log_lines()
    {
        using var root = new TemporaryRoot();
        var repository = Path.Combine(root.Path, "repository");
        await using (var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Engine = "mariadb", Standbys = 1, Root = root.Path },
                         CancellationToken.None))
        {
            var create = await Drtools.RunAsync("backup", "create", "--sandbox", sandbox.Id, "--root", root.Path,
                "--repository", repository, "--kind", "physical");
            Assert.True(create.ExitCode == 0, create.All);
        }
        var catalog = BackupRepository.Open(repository, create: false);
        var backup = catalog.BackupDirectory(catalog.Backups.Single().Id);
        var index = Path.Combine(backup, "physical", "restored-bin.index");
        File.WriteAllText(index, "./restored-bin.000099\n");
        // Listed in files.sha256 as if taken so: only the server's start can tell.
        File.AppendAllText(Path.Combine(backup, "files.sha256"),
            $"{Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(index)))}  physical/restored-bin.index\n");
        using var restores = new TemporaryRoot();
        var environment = new Dictionary<string, string> { ["DRTOOLS_SANDBOX_ROOT"] = restores.Path };

        var clock = Stopwatch.StartNew();
        var verify = await Drtools.RunAsync(environment, "backup", "verify", "--repository", repository);
        clock.Stop();

        Assert.True(verify.ExitCode == 1, verify.All);
        Assert.Matches(@"FAIL: restore: sandbox \d{8}-\d{6}-[0-9a-f]{6}: mariadbd of restored exited at start: .*"
            + @"\[ERROR\] Can't init tc log \| .*\[ERROR\] Aborting\n", verify.StandardOutput);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        restores.AssertNothingLeft();
    }
}
