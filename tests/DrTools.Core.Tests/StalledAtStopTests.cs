using DrTools.Core.Failover;
using DrTools.Core.Probes;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

/// <summary>
/// A client stalled when the drill has seen the topology settle is part of what the drill measures: the probes' stop cut
/// its attempt short (an indeterminate attempt, no sample), and the stall never reached the figures.
/// </summary>
public sealed class StalledAtStopTests
{
    private sealed class OnPhase(string phase, Action action) : IProgress<OperationProgress>
    {
        public void Report(OperationProgress value)
        {
            if (value.Phase.StartsWith(phase, StringComparison.Ordinal)) action();
        }
    }

    [Fact]
    public async Task Writes_stalled_as_the_probes_are_to_stop_are_awaited_and_their_stall_is_in_the_figures()
    {
        using var root = new TemporaryRoot();
        await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = 1, Root = root.Path }, CancellationToken.None);
        var stall = TimeSpan.FromSeconds(1.5);
        var clients = new ProbeOptions().Clients;
        Task? release = null;
        var options = new FailoverOptions
        {
            Mode = FailoverMode.Switchover, CheckIntegrity = false,
            WriteProbe = new ProbeOptions { AttemptTimeout = TimeSpan.FromSeconds(10) },
            // Once the drill has settled and goes on to stop its probes, every commit on the new primary waits 1.5 s for a
            // synchronous standby that is not there.
            Progress = new OnPhase("measuring what the probes saw", () =>
            {
                Sql.ExecuteAsync(sandbox, "node1", "alter system set synchronous_standby_names = 'never_a_standby'; "
                    + "select pg_reload_conf()").GetAwaiter().GetResult();
                Polling.RequireAsync(async () => await Sql.ScalarAsync<long>(sandbox, "node1", "select count(*) from pg_stat_activity "
                        + "where application_name = 'drtools-write-probe' and wait_event = 'SyncRep'") == clients,
                    TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(2), () => "the probe's inserts never all waited on their commit",
                    CancellationToken.None).GetAwaiter().GetResult();
                release = Task.Run(async () =>
                {
                    await Task.Delay(stall);
                    await Sql.ExecuteAsync(sandbox, "node1", "alter system reset synchronous_standby_names; select pg_reload_conf()");
                });
            }),
        };
        var control = new SandboxControl(sandbox);
        var plan = await FailoverDrill.PlanAsync(sandbox.Target, control, options, CancellationToken.None);
        var result = await FailoverDrill.RunAsync(plan, control, options, CancellationToken.None);
        await release!;

        // Apart from the switchover's failures, with every client's writes acknowledged in between: the longest gap beside
        // the window (ProbeAnalysis.Outage), not the window itself.
        var longestGap = result.Figures.Single(f => f.Name == ProbeHistoryChecker.WriteLongestGap);
        Assert.True(longestGap.Measured >= stall.TotalSeconds * 0.9, $"{longestGap}; {result.WriteUnavailability}");
        // Each client's stalled write went through once released, and counts as what it was: a write acknowledged late.
        var stalled = result.WriteSamples.Where(s => s.Succeeded && s.Acknowledged - s.Sent >= stall * 0.9).ToList();
        Assert.Equal(Enumerable.Range(1, clients), stalled.Select(s => s.Client).Distinct().Order());
        Assert.DoesNotContain(result.WriteSamples, s => s.Stopped && s.Sent < stalled.Min(w => w.Acknowledged));
        Assert.Equal(0, result.LostWrites.Measured);
    }
}
