using System.CommandLine;
using DrTools.Core.Metrics;

namespace DrTools.Cli;

/// <summary>drtools metrics [serve]: DrTools' metrics in Prometheus' text format, once, into a textfile, or served.</summary>
public static class MetricsCommand
{
    private sealed class Sources
    {
        public TargetOptions Target { get; } = new();
        public Option<string[]> Repositories { get; } = new("--repository",
            "-r") { Description = "A backup repository folder to report on (repeatable)." };
        public Option<string?> History { get; } = new("--history") { Description = "Drill history folder (default DRTOOLS_HISTORY or "
            + "~/.local/share/drtools/history)." };
        public Option<bool> NoHistory { get; } = new("--no-history") { Description = "Leave the drill history out." };
        public Option<string?> Textfile { get; } = new("--textfile") { Description = "Also write the exposition to this file, atomically, "
            + "for node_exporter's textfile collector." };

        public void AddTo(Command command)
        {
            Target.AddTo(command);
            foreach (var option in new Option[] { Repositories, History, NoHistory, Textfile }) command.Options.Add(option);
        }

        /// <summary>The sources named; a cluster only when --member or --sandbox is given.</summary>
        public MetricSources Read(ParseResult parse) => new()
        {
            Targets = (parse.GetValue(Target.Members) ?? []).Length > 0 || parse.GetValue(Target.Sandbox) is not null
                ? [Target.Resolve(parse)] : [],
            Repositories = parse.GetValue(Repositories) ?? [],
            HistoryRoot = parse.GetValue(History),
            History = !parse.GetValue(NoHistory),
        };
    }

    public static Command Create()
    {
        var sources = new Sources();
        var json = CommonOptions.Json();
        var command = new Command("metrics",
            "DrTools' metrics in Prometheus' text format: a cluster's verdict, roles and replication lag, the WAL archiver, backup age and "
            + "recoverable window, each drill's last result, RTO and RPO against their targets.") { json, Serve() };
        sources.AddTo(command);
        command.SetAction(async (parse, token) =>
        {
            var samples = await DrMetrics.CollectAsync(sources.Read(parse), token);
            var exposition = Exposition.Write(samples);
            if (parse.GetValue(sources.Textfile) is { } textfile) Exposition.WriteTextfile(textfile, exposition);
            if (parse.GetValue(json)) Output.Json(samples);
            else Console.Write(exposition);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Serve()
    {
        var sources = new Sources();
        var listen = new Option<string>("--listen") { Description = "HOST:PORT to serve /metrics on, e.g. 127.0.0.1:9187.",
            Required = true };
        var interval = CommonOptions.Duration("--interval", "With --textfile: how often it is rewritten (default 15s).",
            TimeSpan.FromSeconds(15), positive: true);
        var command = new Command("serve",
            "Serve /metrics until stopped (Ctrl+C or SIGTERM); each scrape reads the sources anew.") { listen, interval };
        sources.AddTo(command);
        command.SetAction(async (parse, token) =>
        {
            try
            {
                await MetricsServer.ServeAsync(parse.GetValue(listen)!, sources.Read(parse), parse.GetValue(sources.Textfile),
                    parse.GetValue(interval)!.Value,
                    url => Console.WriteLine($"serving {url} (Ctrl+C stops)"), token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // Stopped as asked.
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
