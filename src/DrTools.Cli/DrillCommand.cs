using System.CommandLine;
using DrTools.Core.Cluster;
using DrTools.Core.Replication;
using DrTools.Core.Sandboxes;

namespace DrTools.Cli;

/// <summary>
/// drtools drill: the main job on a fresh machine. Builds a sandbox owned by this process, checks it, and removes it
/// whatever happens (success, failure, Ctrl+C).
/// </summary>
public static class DrillCommand
{
    public static Command Create()
    {
        var standbys = SandboxCommands.Standbys();
        var synchronous = SandboxCommands.Synchronous();
        var command = new Command("drill", "Run the default drill against a new sandbox: cluster status and replication lag with a heartbeat; the sandbox is removed afterwards.") { standbys, synchronous };
        command.SetAction(async (parse, token) =>
        {
            await using var sandbox = await Sandbox.CreateAsync(new SandboxOptions { Standbys = parse.GetValue(standbys), Synchronous = parse.GetValue(synchronous) }, token);
            Output.Sandbox(sandbox);
            Console.WriteLine();
            var status = await ClusterInspector.GetStatusAsync(sandbox.Target, token);
            Output.Status(status);
            Console.WriteLine();
            var lag = await ReplicationLagTester.MeasureAsync(sandbox.Target, new ReplicationLagOptions
            {
                Heartbeat = true,
                Duration = TimeSpan.FromSeconds(3),
                Interval = TimeSpan.FromMilliseconds(500),
                MaxLag = TimeSpan.FromSeconds(1),
                MaxLagBytes = 16 * 1024 * 1024,
            }, token);
            Output.Lag(lag);
            Console.WriteLine();
            var passed = status.Healthy && lag.All(r => r.Met);
            Console.WriteLine($"drill {(passed ? "PASSED" : "FAILED")}; removing sandbox {sandbox.Id}");
            return passed ? ExitCodes.Success : ExitCodes.NotMet;
        });
        return command;
    }
}
