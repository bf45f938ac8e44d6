using System.CommandLine;
using DrTools.Core;
using DrTools.Core.Cluster;
using DrTools.Core.Failover;
using DrTools.Core.Replication;
using DrTools.Core.Sandboxes;

namespace DrTools.Cli;

/// <summary>
/// drtools drill: the main job on a fresh machine. Builds a sandbox owned by this process, checks health and lag, runs
/// a failover drill against its objectives, and removes the sandbox whatever happens (success, failure, Ctrl+C).
/// </summary>
public static class DrillCommand
{
    public static Command Create()
    {
        var standbys = SandboxCommands.Standbys();
        var asynchronous = new Option<bool>("--async") { Description = "Asynchronous replication (default synchronous, so the RPO "
            + "objective of 0 holds)." };
        var failover = new FailoverCommand.Options();
        var command = new Command("drill",
            "Run the default DR drill against a new sandbox: status, lag, then a failover with objectives (default: unplanned failover, "
            + "rejoin, RTO 30s, RPO 0s); the sandbox is removed afterwards.") { standbys, asynchronous };
        failover.AddTo(command);
        failover.Mode.DefaultValueFactory = _ => FailoverMode.Failover;
        failover.Rejoin.DefaultValueFactory = _ => true;
        failover.Rto.DefaultValueFactory = _ => TimeSpan.FromSeconds(30);
        failover.Rpo.DefaultValueFactory = _ => TimeSpan.Zero;
        command.SetAction(async (parse, token) =>
        {
            using var building = ConsoleProgress.For("sandbox for the drill", json: false);
            await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions
            {
                Standbys = parse.GetValue(standbys), Synchronous = !parse.GetValue(asynchronous), Progress = building,
            }, token);
            building?.Dispose();
            try
            {
                // Data for the integrity check to hold the failover to.
                await sandbox.Target.Members[0].ExecuteAsync("create table drill_orders as select g as id, md5(g::text) as item, "
                    + "g % 97 as quantity from generate_series(1, 10000) g", token);
                Output.Sandbox(sandbox);
                Console.WriteLine();
                var status = await ClusterInspector.GetStatusAsync(sandbox.Target, token);
                Output.Status(status);
                Console.WriteLine();
                var lag = await ReplicationLagTester.MeasureAsync(sandbox.Target, new ReplicationLagOptions
                {
                    Heartbeat = true,
                    Duration = TimeSpan.FromSeconds(2),
                    Interval = TimeSpan.FromMilliseconds(250),
                    MaxLag = TimeSpan.FromSeconds(1),
                    MaxLagBytes = 16 * 1024 * 1024,
                }, token);
                Output.Lag(lag);
                Console.WriteLine();
                var control = new SandboxControl(sandbox);
                var options = failover.Read(parse);
                var plan = await FailoverDrill.PlanAsync(sandbox.Target, control, options, token);
                FailoverResult result;
                using (var progress = ConsoleProgress.For($"{plan.Mode} of {plan.Target.Name}", json: false))
                {
                    var drilled = options with { Progress = progress };
                    result = await failover.RunAsync(parse, plan, () => FailoverDrill.RunAsync(plan, control, drilled, token),
                        "drtools drill", token);
                }
                Output.Failover(result);
                failover.Record(parse, result, "drtools drill", json: false);
                Console.WriteLine();
                var passed = status.Healthy && lag.All(r => r.Met) && result.Met;
                // A sandbox whose disk filled failed for the machine, not for the failover it was to show.
                if (!passed) DiskRoom.ThrowIfDrillStopped(DiskRoom.OfDrill(sandbox, null), "drill FAILED");
                Console.WriteLine($"drill {(passed ? "PASSED" : "FAILED")}; removing sandbox {sandbox.Id}");
                return passed ? ExitCodes.Success : ExitCodes.NotMet;
            }
            // Whatever stopped it, a sandbox with no room left stopped for its disk.
            catch (Exception e) when (!token.IsCancellationRequested && DiskRoom.MayHideAFullDisk(e))
            {
                DiskRoom.ThrowIfDrillStopped(DiskRoom.OfDrill(sandbox, null), e.Message, e);
                throw;
            }
        });
        return command;
    }
}
