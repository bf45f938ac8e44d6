using System.CommandLine;
using DrTools.Core.Cluster;

namespace DrTools.Cli;

/// <summary>drtools status: exits 1 when the cluster is unhealthy, so scripts can gate on it.</summary>
public static class StatusCommand
{
    public static Command Create()
    {
        var target = new TargetOptions();
        var json = CommonOptions.Json();
        var command = new Command("status",
            "Role, timeline, WAL positions and replication state of every member, and a verdict on the cluster.") { json };
        target.AddTo(command, haManager: true);
        command.SetAction(async (parse, token) =>
        {
            var status = await target.ResolveStore(parse).GetStatusAsync(token);
            if (parse.GetValue(json)) Output.Json(status);
            else Output.Status(status);
            return status.Healthy ? ExitCodes.Success : ExitCodes.NotMet;
        });
        return command;
    }
}
