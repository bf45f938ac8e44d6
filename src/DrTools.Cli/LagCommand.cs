using System.CommandLine;
using DrTools.Core;
using DrTools.Core.Replication;

namespace DrTools.Cli;

/// <summary>drtools lag: exits 1 when a standby does not meet a threshold.</summary>
public static class LagCommand
{
    public static Command Create()
    {
        var target = new TargetOptions();
        var maxLagBytes = new Option<long?>("--max-lag-bytes") { Description = "Most WAL bytes a standby may be behind the primary." }
            .InRange(0, ReplicationLagOptions.MaxLagBytesLimit);
        var maxLagTransactions = new Option<long?>("--max-lag-transactions") { Description = "MariaDB: most GTID transactions a replica "
            + "may be behind the primary." }.InRange(0, ReplicationLagOptions.MaxLagTransactionsLimit);
        var maxLag = CommonOptions.Duration("--max-lag",
            "Most time a standby may lag (e.g. 5s): the heartbeat lag with --heartbeat, otherwise the replay lag (Redis: measured catch-up "
            + "time).", max: DurationText.MaxAge);
        var heartbeat = new Option<bool>("--heartbeat") { Description = "Measure end-to-end lag with a heartbeat row written on the "
            + "primary (table drtools_heartbeat)." };
        var duration = CommonOptions.Duration("--duration", "Sample over this window (e.g. 30s) and report maximum and 95th percentile.",
            positive: true);
        var interval = CommonOptions.Duration("--interval", "Time between samples (default 1s).", TimeSpan.FromSeconds(1), positive: true);
        var json = CommonOptions.Json();
        var command = new Command("lag", "Replication lag of every standby against thresholds.") { maxLagBytes, maxLagTransactions, maxLag,
            heartbeat, duration, interval, json };
        target.AddTo(command);
        command.SetAction(async (parse, token) =>
        {
            using var progress = ConsoleProgress.For("lag", parse.GetValue(json));
            var results = await target.ResolveStore(parse).MeasureLagAsync(new ReplicationLagOptions
            {
                Progress = progress,
                MaxLagBytes = parse.GetValue(maxLagBytes),
                MaxLagTransactions = parse.GetValue(maxLagTransactions),
                MaxLag = parse.GetValue(maxLag),
                Heartbeat = parse.GetValue(heartbeat),
                Duration = parse.GetValue(duration),
                Interval = parse.GetValue(interval)!.Value,
            }, token);
            progress?.Dispose();
            if (parse.GetValue(json)) Output.Json(results);
            else Output.Lag(results);
            return results.All(r => r.Met) ? ExitCodes.Success : ExitCodes.NotMet;
        });
        return command;
    }
}
