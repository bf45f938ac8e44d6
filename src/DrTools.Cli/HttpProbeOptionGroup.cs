using System.CommandLine;

namespace DrTools.Cli;

/// <summary>The application-level HTTP probe of a drill or a held fault: --http-probe URL and its targets.</summary>
public sealed class HttpProbeOptionGroup
{
    public Option<string?> Url { get; } = new("--http-probe") { Description = "URL the application answers on (e.g. its health endpoint), "
        + "probed with GET throughout: error rate, p50/p95/p99 latency, longest run of failures, time to recover." };
    public Option<int> ExpectStatus { get; } = new Option<int>("--http-expect-status") { Description = "The status an answered attempt "
        + "returns (default 200).", DefaultValueFactory = _ => 200 }.InRange(100, 599);
    public Option<double> Rate { get; } = new Option<double>("--http-probe-rate") { Description = "HTTP probe attempts per second (default "
        + "5).", DefaultValueFactory = _ => 5 }.InRange(Core.Probes.ProbeOptions.MinRate, Core.Probes.ProbeOptions.MaxRate);
    public Option<double?> MaxErrorRate { get; } = new Option<double?>("--max-error-rate") { Description = "Target: most HTTP probe "
        + "attempts that may fail, in percent." }.InRange(0, 100);
    public Option<TimeSpan?> P99 { get; } = CommonOptions.Duration("--p99",
        "Target: most p99 latency of the HTTP probe's answered attempts, e.g. 500ms.", positive: true);

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Url, ExpectStatus, Rate, MaxErrorRate, P99 }) command.Add(option);
    }

    public Core.Probes.HttpProbeOptions? Read(ParseResult parse) => Core.Probes.HttpProbeOptions.From(parse.GetValue(Url),
        parse.GetValue(ExpectStatus), parse.GetValue(Rate),
        parse.GetValue(MaxErrorRate), parse.GetValue(P99), ("--http-probe", "--max-error-rate and --p99"));
}
