using System.Globalization;
using System.Text.Json;
using DrTools.Core.Faults.Leftovers;

namespace DrTools.Core.Faults.Proxy;

/// <summary>
/// Latency, Jitter, Bandwidth, ResetConnections and Blackhole: what this kernel cannot do without netem, done by the
/// sandbox's fault proxy to the traffic of the member behind it — clients' and standbys' alike — and removed on undo.
/// </summary>
internal sealed class ProxyFault(FaultKind kind) : IFaultKind
{
    public static IReadOnlyList<IFaultKind> Kinds { get; } =
        [new ProxyFault(FaultKind.Latency), new ProxyFault(FaultKind.Jitter), new ProxyFault(FaultKind.Bandwidth),
            new ProxyFault(FaultKind.ResetConnections), new ProxyFault(FaultKind.Blackhole)];

    private const string DirectionHelp = "both (default), toMember (requests, WAL acknowledgements) or fromMember (results, WAL it sends)";

    public FaultKind Kind => kind;

    public IReadOnlyList<FaultLeftover> Leftovers { get; } = [ProxyToxics.Instance];

    public IReadOnlyDictionary<string, string> Parameters => kind switch
    {
        FaultKind.Latency => new Dictionary<string, string> { ["delay"] = "added to every chunk each way it acts, e.g. 100ms (default)",
            ["direction"] = DirectionHelp },
        FaultKind.Jitter => new Dictionary<string, string> { ["jitter"] = "a random 0 to this much more per chunk, e.g. 50ms (default)",
            ["delay"] = "a fixed delay besides (default 0ms)", ["direction"] = DirectionHelp },
        FaultKind.Bandwidth
            => new Dictionary<string, string> { ["rate"] = "bytes per second each way it acts, e.g. 64kB (default), 1MB, 500000",
            ["direction"] = DirectionHelp },
        FaultKind.Blackhole => new Dictionary<string, string> { ["direction"] = DirectionHelp },
        _ => new Dictionary<string, string>(),
    };

    public void Check(FaultRequest request)
    {
        var proxy = request.Member.Proxy ?? throw DrToolsException.Refused(
            $"{kind} of {request.Member.Display}: acts through DrTools' fault proxy, and this member is not behind one: create the sandbox "
                + $"with a fault proxy (New-DrSandbox -FaultProxy, drtools sandbox up --fault-proxy, runbook sandbox faultProxy: true)",
            DrErrorKind.InvalidArgument);
        if (!new FaultProxyControl(proxy.ControlSocket).Exists) throw DrToolsException.Refused($"{kind} of {request.Member.Display}: its "
            + $"sandbox's fault proxy is not running ({proxy.ControlSocket} is gone)");
        _ = Toxic("check", request);
    }

    public string Describe(FaultRequest request)
    {
        var toxic = Toxic("describe", request);
        var where = toxic.Direction switch { ToxicDirection.ToMember => "to it", ToxicDirection.FromMember => "from it", _ => "each way" };
        return kind switch
        {
            FaultKind.Latency => $"Latency of {request.Member.Display}: {toxic.DelayMs} ms added {where} (fault proxy)",
            FaultKind.Jitter
                => $"Jitter of {request.Member.Display}: {toxic.DelayMs} ms + 0 to {toxic.JitterMs} ms at random added {where} (fault "
                + $"proxy)",
            FaultKind.Bandwidth => $"Bandwidth of {request.Member.Display}: at most {toxic.BytesPerSecond} bytes/s {where} (fault proxy)",
            FaultKind.ResetConnections
                => $"ResetConnections of {request.Member.Display}: every connection through the fault proxy reset, new ones too until "
                + $"undone",
            _ => $"Blackhole of {request.Member.Display}: connections stay open and carry nothing {where} until undone (fault proxy)",
        };
    }

    public Task<IReadOnlyDictionary<string, string>> PrepareAsync(string id, FaultRequest request, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>
        {
            ["proxy"] = request.Member.Proxy!.ControlSocket,
            ["port"] = request.Member.Proxy.Port.ToString(CultureInfo.InvariantCulture),
            ["toxic"] = JsonSerializer.Serialize(Toxic(id, request), ProxyJson.Options),
        });

    public Task ApplyAsync(FaultRecord record, CancellationToken cancellationToken) =>
        new FaultProxyControl(record.State["proxy"]).SetAsync(int.Parse(record.State["port"], CultureInfo.InvariantCulture),
            JsonSerializer.Deserialize<ProxyToxic>(record.State["toxic"], ProxyJson.Options)!, cancellationToken);

    public async Task<string> UndoAsync(FaultRecord record, CancellationToken cancellationToken)
    {
        var proxy = new FaultProxyControl(record.State["proxy"]);
        if (!proxy.Exists) return "its fault proxy is gone (the sandbox was removed): nothing to undo";
        await proxy.ClearAsync(record.Id, cancellationToken);
        return $"removed from the fault proxy (port {record.State["port"]})";
    }

    private ProxyToxic Toxic(string id, FaultRequest request)
    {
        var parameters = request.Parameters;
        TimeSpan Duration(string name, string fallback) => DurationText.Parse(parameters.GetValueOrDefault(name, fallback),
            $"{kind} {name}", TimeSpan.FromMinutes(10));
        var direction = parameters.GetValueOrDefault("direction", "both") switch
        {
            var d when d.Equals("both", StringComparison.OrdinalIgnoreCase) => ToxicDirection.Both,
            var d when d.Equals("toMember", StringComparison.OrdinalIgnoreCase) => ToxicDirection.ToMember,
            var d when d.Equals("fromMember", StringComparison.OrdinalIgnoreCase) => ToxicDirection.FromMember,
            var other => throw new DrToolsException($"{kind} direction '{other}': {DirectionHelp}.", DrErrorKind.InvalidArgument),
        };
        return new ProxyToxic(id, kind)
        {
            Direction = direction,
            DelayMs = kind switch
            {
                FaultKind.Latency => (int)Duration("delay", "100ms").TotalMilliseconds,
                FaultKind.Jitter => (int)Duration("delay", "0ms").TotalMilliseconds,
                _ => 0,
            },
            JitterMs = kind == FaultKind.Jitter ? (int)Duration("jitter", "50ms").TotalMilliseconds : 0,
            BytesPerSecond = kind == FaultKind.Bandwidth ? SizeText.Parse(parameters.GetValueOrDefault("rate", "64kB").Replace("/s", "",
                StringComparison.OrdinalIgnoreCase), "Bandwidth rate (bytes per second)", 1, 1L << 40) : 0,
        };
    }
}
