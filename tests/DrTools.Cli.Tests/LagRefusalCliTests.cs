using System.Text.Json;
using DrTools.Core.Engines;
using DrTools.Core.MariaDb;
using DrTools.Core.Sandboxes;
using DrTools.Core.Tests;

namespace DrTools.Cli.Tests;

/// <summary>drtools lag on a member it cannot measure: exit 2 and one line naming it, never a pass.</summary>
public sealed class LagRefusalCliTests
{
    /// <summary>Its Seconds_Behind_Master NULL counted as 0 s: lag exited 0, "0 s (≤ 1 s: met) yes", while status said unhealthy.</summary>
    [Fact]
    public async Task A_MariaDB_replica_whose_SQL_thread_is_stopped_is_named_and_lag_exits_2()
    {
        using var root = new TemporaryRoot();
        var up = await Drtools.RunAsync("sandbox", "up", "--engine", StoreEngines.MariaDb, "--standbys", "1", "--root", root.Path,
            "--json");
        Assert.True(up.ExitCode == 0, up.All);
        var id = JsonDocument.Parse(up.StandardOutput).RootElement.GetProperty("id").GetString()!;
        var sandbox = Sandbox.Open(id, root.Path);
        var table = $"{MariaDbCluster.Schema}.lag_refusal";
        await MariaDbSql.ScalarAsync(sandbox, "node0", $"create database if not exists {MariaDbCluster.Schema}; select 1");
        await MariaDbSql.ScalarAsync(sandbox, "node0", $"create table {table} (id bigint auto_increment primary key); select 1");
        await MariaDbSql.ScalarAsync(sandbox, "node1", "stop slave sql_thread; select 1");
        for (var i = 0; i < 5; i++) await MariaDbSql.ScalarAsync(sandbox, "node0", $"insert into {table} values (); select 1");

        var lag = await Drtools.RunAsync("lag", "--sandbox", id, "--root", root.Path, "--max-lag", "1s");
        var status = await Drtools.RunAsync("status", "--sandbox", id, "--root", root.Path);

        Assert.True(lag.ExitCode == 2, lag.All);
        Assert.Equal($"drtools: lag of sandbox {id} cannot be measured: node1 (127.0.0.1:{sandbox.Members[1].Port}) is not replicating: "
            + "IO thread Yes, SQL thread No", lag.StandardError.Trim());
        Assert.True(status.ExitCode == 1, status.All);
        Assert.Contains("is not replicating: IO thread Yes, SQL thread No", status.StandardOutput);

        Assert.True((await Drtools.RunAsync("sandbox", "down", id, "--root", root.Path)).ExitCode == 0);
        root.AssertNothingLeft();
    }
}
