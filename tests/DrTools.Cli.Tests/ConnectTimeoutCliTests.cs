using System.Text.Json;
using DrTools.Core.Engines;
using DrTools.Core.Processes;
using DrTools.Core.Sandboxes;
using DrTools.Core.Tests;
using Npgsql;

namespace DrTools.Cli.Tests;

/// <summary>--connect-timeout with a sandbox target: a frozen member is given up on after it, on every engine.</summary>
public sealed class ConnectTimeoutCliTests
{
    [Theory]
    [InlineData(StoreEngines.PostgreSql)]
    [InlineData(StoreEngines.MariaDb)]
    [InlineData(StoreEngines.Redis)]
    public async Task A_frozen_sandbox_member_is_given_up_on_after_the_connect_timeout(string engine)
    {
        using var root = new TemporaryRoot();
        var up = await Drtools.RunAsync("sandbox", "up", "--engine", engine, "--standbys", "1", "--root", root.Path, "--json");
        Assert.True(up.ExitCode == 0, up.All);
        var id = JsonDocument.Parse(up.StandardOutput).RootElement.GetProperty("id").GetString()!;
        var sandbox = Sandbox.Open(id, root.Path);
        var replica = sandbox.Members[1];
        // The server process only: the kernel still accepts connections, nothing answers them.
        var pid = (StoreEngines.Get(engine) is { } store ? store.Pid(replica) : sandbox.Server(replica.Name).PostmasterPid)
            ?? throw new InvalidOperationException($"{replica.Name} of sandbox {id} is not running");
        Assert.True(ProcessTable.Signal(pid, ProcessTable.SigStop));
        CliResult status, lag;
        try
        {
            status = await Drtools.RunAsync("status", "--sandbox", id, "--root", root.Path, "--connect-timeout", "2s");
            lag = await Drtools.RunAsync("lag", "--sandbox", id, "--root", root.Path, "--connect-timeout", "2s", "--max-lag", "1s");
        }
        finally
        {
            ProcessTable.Signal(pid, ProcessTable.SigCont);
        }

        Assert.True(status.ExitCode == 1, status.All);
        Assert.Contains($"{replica.Name} (127.0.0.1:{replica.Port})", status.StandardOutput);
        Assert.Contains("no answer within 2s", status.StandardOutput);
        Assert.DoesNotContain("another engine", status.StandardOutput);
        if (engine != StoreEngines.PostgreSql)
        {
            // The primary reports a frozen PostgreSQL standby's last positions; these stores' lag is read from the replica,
            // and one that does not answer is named, never left out of the check (which then passed on the others).
            Assert.True(lag.ExitCode == 2, lag.All);
            Assert.Contains($"{replica.Name} (127.0.0.1:{replica.Port}) is unreachable", lag.StandardError);
            Assert.Contains("no answer within 2s", lag.StandardError);
        }

        Assert.True((await Drtools.RunAsync("sandbox", "down", id, "--root", root.Path)).ExitCode == 0);
        root.AssertNothingLeft();
    }

    [Fact]
    public async Task A_PostgreSQL_standby_frozen_while_lag_samples_fails_the_measurement_within_the_connect_timeout()
    {
        using var root = new TemporaryRoot();
        var up = await Drtools.RunAsync("sandbox", "up", "--standbys", "2", "--root", root.Path, "--json");
        Assert.True(up.ExitCode == 0, up.All);
        var id = JsonDocument.Parse(up.StandardOutput).RootElement.GetProperty("id").GetString()!;
        var sandbox = Sandbox.Open(id, root.Path);
        var standby = sandbox.Members[2];
        // The test looks through one session of its own: the backend of a session closed can linger in pg_stat_activity
        // and pass for the command's (a CI run froze the standby before the command had connected, and its 40 s passed).
        await using var look = await sandbox.Target.Member(standby.Name).OpenAsync(CancellationToken.None);
        async Task<long> OtherSessionsAsync()
        {
            await using var count = new NpgsqlCommand(
                "select count(*) from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()", look);
            return (long)(await count.ExecuteScalarAsync())!;
        }
        await DrTools.Core.Polling.RequireAsync(async () => await OtherSessionsAsync() == 0, TimeSpan.FromSeconds(30),
            TimeSpan.FromMilliseconds(50), () => "sessions of the sandbox's start stayed on the standby", CancellationToken.None);
        // Sampling goes on well past the freeze however slowly the command starts (a freeze during a sample's last timed
        // poll ends that sample as "longer than 1s"; the next one meets the frozen standby).
        using var lag = Drtools.Start("lag", "--sandbox", id, "--root", root.Path, "--connect-timeout", "2s", "--max-lag", "1s",
            "--duration", "40s", "--interval", "1s", "--json");
        var completed = Drtools.CompleteAsync(lag, TimeSpan.FromSeconds(60));
        // Every process of the standby, connections it already holds open too; the primary stays idle, so its figures stay 0.
        // Once the command samples (its session on the standby), however slowly it started.
        await DrTools.Core.Polling.RequireAsync(async () => await OtherSessionsAsync() > 0,
            TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(50), () => "lag never connected to the standby", CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(1));
        var frozen = ProcessTable.FindByWorkingDirectory(standby.DataDirectory);
        var endedFrozen = false;
        try
        {
            Assert.NotEmpty(frozen);
            foreach (var pid in frozen) ProcessTable.Signal(pid, ProcessTable.SigStop);
            await Task.WhenAny(completed, Task.Delay(TimeSpan.FromSeconds(10)));
            // Ended while the standby was still frozen: no sample waited for it past the connect timeout.
            endedFrozen = completed.IsCompleted;
        }
        finally
        {
            foreach (var pid in frozen) ProcessTable.Signal(pid, ProcessTable.SigCont);
            await look.DisposeAsync(); // before the sandbox is taken down
        }
        var result = await completed;

        Assert.True(result.ExitCode == 2, result.All);
        Assert.True(endedFrozen, result.All);
        Assert.Contains($"{standby.Name} (127.0.0.1:{standby.Port}) is unreachable", result.StandardError);
        Assert.Contains("no answer within 2s", result.StandardError);
        Assert.True((await Drtools.RunAsync("sandbox", "down", id, "--root", root.Path)).ExitCode == 0);
        root.AssertNothingLeft();
    }
}
