using DrTools.Core.Failover;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

/// <summary>
/// A drill during which a fault from the library acts: in the "Faults" collection, since the fault tests' sweeps
/// (stop --all) undo every fault of this process.
/// </summary>
[Collection("Faults")]
public sealed class FailoverWithFaultTests
{
    [Fact]
    public async Task A_connection_to_the_new_primary_that_breaks_after_the_probes_stop_is_read_again_and_said_so()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(
            new SandboxOptions { Standbys = 1, Root = root.Path, FaultProxy = true }, CancellationToken.None);
        await Sql.ExecuteAsync(sandbox, "node0",
            "create table accounts (id int primary key, balance int); insert into accounts select g, g from generate_series(1, 100) g");
        Task? undo = null;
        var options = new FailoverOptions
        {
            Mode = FailoverMode.Switchover,
            // Every connection to the new primary is reset for 2 s once the probes stop, as an endpoint shutting its sessions
            // does: the drill's reads of the probe rows and the integrity checksum break first.
            BeforeProbesStop = async token =>
            {
                var request = Core.Faults.FaultTargets.Resolve(Core.Faults.FaultKind.ResetConnections, sandbox.Target, sandbox, "node1",
                    Core.Faults.FaultTargets.ParseParameters([]), null);
                var reset = await Core.Faults.Faults.StartAsync(request, null, token);
                undo = Task.Run(async () =>
                {
                    await Task.Delay(TimeSpan.FromSeconds(2));
                    await Core.Faults.Faults.StopAsync(reset, CancellationToken.None);
                });
            },
        };
        var result = await FailoverTests.DrillAsync(sandbox, options);
        await undo!;

        var broke = Assert.Single(result.Timeline, e => e.Name == $"connection broke reading the probe rows on {result.NewPrimary}");
        var read = Assert.Single(result.Timeline, e => e.Name == $"read the probe rows on {result.NewPrimary}");
        Assert.True(read.At - broke.At > TimeSpan.FromSeconds(1.5), $"read again at {read.At}, broke at {broke.At}");
        Assert.Matches("^on attempt [0-9]+, on a new connection$", read.Detail);
        Assert.Equal(0, result.LostWrites.Measured);
        Assert.Equal(await ProbeRows.MissingAsync(sandbox, result), result.LostSequences);
        Assert.False(result.Integrity!.NothingInScope);
        Assert.Empty(result.Integrity.Differences);
    }
}
