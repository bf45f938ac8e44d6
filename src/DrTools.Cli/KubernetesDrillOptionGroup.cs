using System.CommandLine;
using DrTools.Core.Kubernetes;

namespace DrTools.Cli;

/// <summary>What a Kubernetes drill is held to: --rto, --min-ready, --timeout, and the HTTP probe of the application's URL.</summary>
public sealed class KubernetesDrillOptionGroup
{
    private readonly Option<TimeSpan?> _rto = CommonOptions.Duration("--rto",
        "Recovery-time objective: every replica ready again within it (e.g. 30s).", positive: true);

    private readonly Option<int?> _minReady = new Option<int?>("--min-ready")
    {
        Description = "Fewest ready replicas allowed during the drill.",
    }.InRange(0, 10_000);

    private readonly Option<TimeSpan?> _timeout = CommonOptions.Duration("--timeout",
        "How long to watch for the recovery (default 5m, or the RTO when longer; never shorter than --rto); past it the recovery "
        + "time is a lower bound, not met.", positive: true);

    private readonly HttpProbeOptionGroup _http = new();

    public void AddTo(Command command)
    {
        command.Options.Add(_rto);
        command.Options.Add(_minReady);
        command.Options.Add(_timeout);
        _http.AddTo(command);
    }

    public KubernetesDrillOptions Read(ParseResult parse) => new()
    {
        Rto = parse.GetValue(_rto),
        MinReady = parse.GetValue(_minReady),
        Timeout = parse.GetValue(_timeout),
        HttpProbe = _http.Read(parse),
    };
}
